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
  mapHint: 'Carte interactive ; la liste des acteurs en donne le même contenu au clavier.',
  osmAttribution:
    '© <a href="https://www.openstreetmap.org/copyright">contributeurs OpenStreetMap</a>',

  loading: 'Chargement des acteurs…',
  actorCount: (n) => plural(n, 'acteur', 'acteurs'),
  basemapError:
    'Le fond de carte ne se charge pas (connexion ?) : le fond sobre des communes et départements le remplace.',
  basemapSober: 'Fond sobre',
  basemapRaster: 'Fond détaillé',
  coverageLink: 'Couverture du territoire',

  legendTitle: 'Secteurs',
  legendCount: (n) => formatNumber(n),

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
    legalForm: 'Forme juridique',
    address: 'Adresse',
    place: 'Commune',
    website: 'Site web',
    description: 'Présentation',
    email: 'Courriel',
    phone: 'Téléphone',
    newTab: '(nouvel onglet)',
    close: 'Fermer la fiche',
    link: 'Lien vers cette fiche',
    loading: 'Chargement de la fiche…',
    failed: "La fiche de cet acteur n'a pas pu être chargée.",
    notFound: "Cet acteur n'existe pas ou n'est plus publié.",
  },

  skipToList: 'Aller à la liste des acteurs',
  skipToSearch: 'Aller à la recherche',
  sidebarLabel: 'Recherche, secteurs et liste des acteurs',
  tabsLabel: 'Affichage',
  tabMap: 'Carte',
  tabList: 'Liste et filtres',

  legendHint: 'Cochez les secteurs à afficher. Le nombre est celui des acteurs dans la vue.',
  legendAll: 'Tout afficher',
  legendNone: 'Tout masquer',
  legendCountLabel: (n) => plural(n, 'acteur dans la vue', 'acteurs dans la vue'),

  list: {
    title: 'Acteurs dans la vue',
    summary: (shown, total) =>
      total > shown
        ? `${formatNumber(shown)} premiers sur ${formatNumber(total)} — zoomez ou cherchez pour affiner.`
        : plural(total, 'acteur', 'acteurs'),
    none: 'Aucun acteur dans cette vue avec les secteurs choisis.',
    noSector: 'Aucun secteur coché : cochez-en un pour voir des acteurs.',
    more: 'Afficher plus',
    failed: "La liste des acteurs n'a pas pu être chargée.",
  },

  selectedLabel: (name) => `Acteur sélectionné : ${name}`,
  positionLabel: 'Votre position',

  nearby: {
    button: 'Autour de moi',
    title: 'Les plus proches de vous',
    locating: 'Recherche de votre position…',
    denied: "Votre position n'est pas disponible (autorisation refusée ou appareil sans localisation).",
    unsupported: 'Votre navigateur ne donne pas sa position.',
    none: 'Aucun acteur à moins de 50 km.',
    failed: "La recherche des acteurs proches n'a pas abouti.",
    close: 'Fermer les résultats',
    distance: (m) =>
      m < 1000 ? `${formatNumber(Math.round(m / 10) * 10)} m` : `${new Intl.NumberFormat('fr-FR', { maximumFractionDigits: 1 }).format(m / 1000)} km`,
  },

  share: {
    button: 'Partager',
    title: 'Partager cette carte',
    link: 'Lien vers cette vue',
    embed: 'Code pour intégrer la carte dans un site (iframe)',
    copy: 'Copier',
    copied: 'Copié dans le presse-papiers.',
    copyFailed: 'Copie impossible : sélectionnez le texte et copiez-le.',
    iframeTitle: "Carte des acteurs de l'ESS",
    close: 'Fermer',
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
    label: 'Rechercher une adresse, une commune ou un acteur',
    placeholder: 'Adresse, commune, code postal ou nom',
    submit: 'Rechercher',
    none: (q) => `Aucun résultat pour « ${q} ».`,
    failed: "La recherche d'adresse ne répond pas pour l'instant.",
    actors: 'Acteurs',
    places: 'Adresses et lieux',
    suggestions: (n) => (n === 0 ? 'Aucune suggestion.' : `${plural(n, 'suggestion', 'suggestions')} : flèches haut et bas pour choisir.`),
  },


  coverage: {
    pageTitle: 'Couverture du territoire — maillage',
    description:
      "Où manque-t-il des structures de l'ESS ? Communes éloignées d'un acteur, habitants à plus d'une distance donnée, comparaison avec le département.",
    title: 'Couverture du territoire',
    tagline: "Les communes éloignées des acteurs de l'ESS, pour préparer un conseil",
    backToMap: 'Retour à la carte des acteurs',
    skipToTable: 'Aller au tableau des communes',
    territoryLabel: 'Territoire (département ou intercommunalité)',
    territoryPlaceholder: 'Nom ou code : Finistère, 29, Brest Métropole…',
    sectorsLabel: 'Secteurs',
    radiusLabel: 'Distance (km)',
    indicatorLabel: 'Indicateur de la carte',
    indicatorDistance: "Distance à l'acteur le plus proche",
    indicatorDensity: 'Acteurs pour 10 000 habitants',
    csv: 'Exporter le tableau (CSV)',
    print: 'Imprimer (A4 paysage)',
    legendTitle: 'Légende',
    weakestTitle: 'Les dix communes les moins bien couvertes',
    tableTitle: 'Communes, de la moins bien couverte à la mieux couverte',
    tableCaption: (name) => `Couverture des communes de ${name}. Cliquez sur un en-tête pour trier.`,
    loading: 'Calcul de la couverture…',
    failed: "La couverture n'a pas pu être calculée. Réessayez dans un instant.",
    noTerritory: 'Choisissez un territoire : un département ou une intercommunalité.',
    noSector: 'Cochez au moins un secteur.',
    badRadius: 'La distance doit être un nombre de kilomètres entre 1 et 200.',
    noTerritoriesImported:
      "Aucun territoire n'est encore importé : lancez « maillage territories import » avec un fichier de communes.",
    level: { commune: 'commune', epci: 'intercommunalité', departement: 'département', region: 'région' },
    option: (name, level, code) => `${name} (${level} ${code})`,
    sectorPhrase: (labels) =>
      labels.length === 1 ? `du secteur « ${labels[0]} »` : `des secteurs « ${labels.slice(0, -1).join(' », « ')} » ou « ${labels[labels.length - 1]} »`,
    percent: (share) => `${formatNumber(Math.round(share * 100))}\u00a0%`,
    sentence: (name, share, people, radius, sectors) =>
      `${name} : ${share} des habitants (${people} personnes) vivent à plus de ${radius} km d'une structure ${sectors}.`,
    sentenceNoPeople: (name) => `${name} : population inconnue, la part des habitants éloignés ne peut pas être calculée.`,
    comparison: (name, share) => `À comparer avec ${name} : ${share}.`,
    computedAt: (date) => `Chiffres calculés le ${date}.`,
    params: (territory, sectors, radius, date) =>
      `Territoire : ${territory}. Secteurs : ${sectors}. Distance : ${radius} km. Édité le ${date}.`,
    sources: (list) => `Sources : ${list}. Fond : limites administratives importées.`,
    km: (v) => `${new Intl.NumberFormat('fr-FR', { maximumFractionDigits: 1, minimumFractionDigits: 1 }).format(v)}\u00a0km`,
    kmRange: (a, b) => `de ${a} à ${b}`,
    kmAbove: (a) => `plus de ${a}`,
    per10k: (v) => new Intl.NumberFormat('fr-FR', { maximumFractionDigits: 1, minimumFractionDigits: 1 }).format(v),
    legendDistance: 'Distance du centre de la commune à la structure la plus proche',
    legendDensity: 'Acteurs pour 10 000 habitants',
    legendNone: 'aucun acteur dans la commune',
    legendZoneBlanche: (radius) => `zone blanche : aucune structure à moins de ${radius} km`,
    legendUnknown: 'population ou position inconnue',
    legendActors: 'Acteurs des secteurs choisis',
    columns: {
      name: 'Commune',
      population: 'Population',
      actors: 'Acteurs',
      per10k: 'Pour 10 000 hab.',
      nearest: 'Structure la plus proche',
      zoneBlanche: 'Zone blanche',
    },
    yes: 'oui',
    no: 'non',
    unknown: 'inconnue',
    sortAsc: 'tri croissant',
    sortDesc: 'tri décroissant',
    mapLabel: 'Carte de la couverture des communes',
    weakestItem: (name, km, pop) => `${name} — ${km}, ${pop} hab.`,
  },

  // Used by the server in the <head> of /acteurs/{id} (build.mjs copies
  // them into dist/strings.json).
  server: {
    titleSuffix: ' — maillage',
    inCity: 'à',
    more: "Fiche sur la carte des acteurs de l'économie sociale et solidaire.",
    notFoundTitle: 'Acteur introuvable — maillage',
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
