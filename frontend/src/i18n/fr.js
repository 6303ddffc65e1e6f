// Every user-visible string of the page, in French. To add a language,
// copy this file (same keys) and choose it in main.js and build.mjs.
// Values are plain text: the code inserts them with textContent, except
// osmAttribution, which Leaflet's attribution control shows as HTML.

const number = new Intl.NumberFormat('fr-FR');

/** Formats an integer with French digit grouping (3 821). */
export const formatNumber = (n) => number.format(n);

const plural = (n, one, many) => `${formatNumber(n)} ${n > 1 ? many : one}`;

export default {
  lang: 'fr',

  appName: 'maillage',
  title: "maillage — carte des acteurs de l'ESS",
  tagline: "Carte des acteurs de l'économie sociale et solidaire",
  description:
    "Carte des structures de l'économie sociale et solidaire (ESS) du territoire : insertion, réemploi, alimentation durable, finance solidaire…",
  noscript: "Cette carte a besoin de JavaScript pour s'afficher.",

  mapLabel: "Carte des acteurs de l'ESS",
  zoomIn: 'Zoom avant',
  zoomOut: 'Zoom arrière',
  closePopup: 'Fermer la fiche',
  osmAttribution:
    '© <a href="https://www.openstreetmap.org/copyright">contributeurs OpenStreetMap</a>',

  loading: 'Chargement des acteurs…',
  actorCount: (n) => plural(n, 'acteur', 'acteurs'),
  truncated: (shown, total) =>
    `Seuls les ${formatNumber(shown)} premiers acteurs sur ${formatNumber(total)} sont affichés.`,
  basemapError:
    "Le fond de carte ne se charge pas (connexion ?). Les acteurs restent affichés.",

  legendTitle: 'Secteurs',
  legendCount: (n) => formatNumber(n),
  noSector: 'Secteur non renseigné',

  empty: {
    title: "Aucun acteur sur la carte pour l'instant",
    intro: 'Pour remplir la carte, importez un fichier CSV :',
    cliLabel: 'en ligne de commande sur le serveur :',
    cli: 'maillage import mon-fichier.csv',
    apiLabel: "ou par l'API :",
    api: 'POST /api/imports',
    csvHint:
      "Le fichier a une ligne d'en-tête puis une ligne par structure. Colonnes reconnues, entre autres : nom, adresse, code postal, commune, secteur, type, site web, latitude, longitude. Seules les structures qui ont une position s'affichent sur la carte.",
  },

  error: {
    title: 'La carte ne peut pas être chargée',
    body: "Le serveur n'a pas renvoyé la liste des acteurs. Réessayez dans un instant ; si le problème continue, prévenez la personne qui administre ce site.",
    retry: 'Réessayer',
  },

  card: {
    sectors: 'Secteurs',
    kind: 'Type de structure',
    place: 'Commune',
    website: 'Site web',
    newTab: '(nouvel onglet)',
  },

  correction: {
    start: 'Corriger les positions',
    stop: 'Terminer la correction',
    tokenLabel: "Jeton de responsable d'annuaire",
    tokenSubmit: 'Valider',
    hint: "Cliquez sur un acteur, puis faites glisser son marqueur à la bonne place.",
    markerTitle: (name) => `Faites glisser pour placer ${name}`,
    saved: (name) => `Position de ${name} enregistrée.`,
    failed: "La position n'a pas pu être enregistrée. Réessayez.",
    badToken: "Ce jeton n'est pas reconnu : saisissez-le de nouveau.",
  },

  search: {
    label: 'Rechercher une adresse',
    placeholder: 'Adresse, rue ou commune',
    none: (q) => `Aucune adresse trouvée pour « ${q} ».`,
    failed: "La recherche d'adresse ne répond pas pour l'instant.",
  },

  // Structure types of the insertion sector (data.inclusion codes).
  kinds: {
    ACI: "Atelier et chantier d'insertion",
    AI: 'Association intermédiaire',
    EI: "Entreprise d'insertion",
    ETTI: "Entreprise de travail temporaire d'insertion",
    EITI: "Entreprise d'insertion par le travail indépendant",
    GEIQ: "Groupement d'employeurs pour l'insertion et la qualification",
    EA: 'Entreprise adaptée',
  },
};
