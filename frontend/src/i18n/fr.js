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
  territories: {
    title: 'Territoires',
    names: {
      metropole: 'France métropolitaine',
      guadeloupe: 'Guadeloupe',
      martinique: 'Martinique',
      guyane: 'Guyane',
      reunion: 'La Réunion',
      mayotte: 'Mayotte',
      saintPierre: 'Saint-Pierre-et-Miquelon',
      saintMartin: 'Saint-Martin',
      nouvelleCaledonie: 'Nouvelle-Calédonie',
      polynesie: 'Polynésie française',
    },
  },
  zoomOut: 'Zoom arrière',
  mapHint: 'Carte interactive ; la liste des acteurs en donne le même contenu au clavier.',
  osmAttribution:
    '© <a href="https://www.openstreetmap.org/copyright">contributeurs OpenStreetMap</a>',

  loading: 'Chargement des acteurs…',
  actorCount: (n) => plural(n, 'acteur', 'acteurs'),
  basemapError:
    "Le fond de carte ne se charge pas (connexion ?). Les acteurs restent affichés.",

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
    atAddress: (n) => `${n} structures à cette adresse`,
    directions: 'Itinéraire',
    siret: 'SIRET',
    siretTitle: "Fiche de l'établissement dans l'annuaire des entreprises (nouvel onglet)",
    source: (s) => `Source : ${s}`,
    licence: (l) => `Licence : ${l}`,
    updated: (d) => `Mise à jour le ${d}`,
    grow: 'Agrandir la fiche',
    shrink: 'Réduire la fiche',
  },

  closeNotice: 'Fermer ce message',
  fullMap: 'Voir la carte complète',
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
    exportCSV: 'Exporter cette sélection (CSV)',
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
    sectors: 'Secteurs',
    sectorOption: (label) => `Afficher le secteur « ${label} »`,
    filter: (q) => `Acteurs correspondant à « ${q} », du plus proche au plus loin du centre de la carte`,
    clearFilter: 'Effacer la recherche',
    suggestions: (n) => (n === 0 ? 'Aucune suggestion.' : `${plural(n, 'suggestion', 'suggestions')} : flèches haut et bas pour choisir.`),
  },

  // The workshops: a shared territorial diagnostic ("diagnostic
  // territorial partagé"), live on the wall and on every phone.
  workshop: {
    appName: 'maillage — atelier',
    noscript: "Cette page d'atelier a besoin de JavaScript.",
    loading: "Chargement de l'atelier…",
    notFoundTitle: 'Atelier introuvable',
    notFoundBody: "Aucun atelier ne porte ce code. Vérifiez le code affiché dans la salle, ou demandez-le à l'animateur.",
    backToMap: 'Aller à la carte des acteurs',
    failed: "L'atelier n'a pas pu être chargé. Réessayez dans un instant.",
    retry: 'Réessayer',
    status: { draft: 'En préparation', open: 'Ouvert', closed: 'Clos' },
    published: 'Compte rendu public',
    live: 'En direct',
    reconnecting: 'Connexion perdue : reconnexion…',
    anonymous: 'Anonyme',
    byAuthor: (name) => `par ${name}`,
    votes: (n) => plural(n, 'vote', 'votes'),
    noSector: 'Sans secteur',
    linkedActor: (name) => `Structure : ${name}`,
    mapLabel: "Carte de l'atelier",
    mapHint: "Carte interactive ; la liste des contributions en donne le même contenu au clavier.",
    annotationLabel: (kind, text) => `${kind} : ${text}`,
    date: (iso) => {
      const d = new Date(`${iso}T12:00:00`);
      return Number.isNaN(d.getTime())
        ? iso
        : new Intl.DateTimeFormat('fr-FR', { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }).format(d);
    },
    time: (iso) => {
      const d = new Date(iso);
      return Number.isNaN(d.getTime()) ? '' : new Intl.DateTimeFormat('fr-FR', { hour: '2-digit', minute: '2-digit' }).format(d);
    },

    // Access with a secret or a keeper's token (projection, record, list).
    access: {
      title: 'Accès réservé',
      animatorIntro:
        "Ouvrez le lien d'animation reçu à la création de l'atelier, ou collez ici son secret (wsa_…) ou un jeton de responsable d'annuaire.",
      recordIntro:
        "Ce compte rendu n'est pas encore public. Collez le secret d'animation (wsa_…) ou un jeton de responsable d'annuaire pour le voir.",
      keeperIntro: "La gestion des ateliers demande un jeton de responsable d'annuaire (maillage token create NOM).",
      label: 'Secret ou jeton',
      submit: 'Valider',
      bad: "Ce secret ou ce jeton n'est pas reconnu.",
    },

    // Participant's page (/ateliers/{code}).
    join: {
      title: "Rejoindre l'atelier",
      nameLabel: 'Votre prénom ou un pseudonyme (facultatif)',
      nameHint: "Laissez vide pour rester anonyme. Rien d'autre n'est demandé.",
      submit: 'Rejoindre',
      failed: "Impossible de rejoindre l'atelier. Réessayez.",
      tooMany: 'Trop de tentatives : réessayez dans une minute.',
      as: (name) => `Vous participez en tant que ${name}.`,
      asAnonymous: 'Vous participez anonymement.',
    },
    draftNotice: "L'atelier n'a pas encore commencé : vous pourrez contribuer dès que l'animateur l'ouvrira.",
    closedNotice: "L'atelier est clos : il n'accepte plus de contributions. Merci de votre participation !",
    compose: {
      kindsLegend: 'Que voulez-vous signaler ?',
      whereLegend: 'Où ?',
      point: 'Un point',
      line: 'Une ligne',
      zone: 'Une zone',
      placeHint: "Touchez la carte à l'endroit voulu.",
      lineHint: 'Touchez la carte pour chaque point de la ligne, puis « Terminer le tracé ».',
      zoneHint: 'Touchez la carte pour chaque sommet de la zone, puis « Terminer le tracé ».',
      finish: 'Terminer le tracé',
      cancelDraw: 'Annuler le tracé',
      drawLoading: "Chargement de l'outil de dessin…",
      drawFailed: "L'outil de dessin ne s'est pas chargé. Placez un point à la place.",
      noGeometry: 'Aucun lieu choisi.',
      geometry: {
        Point: 'Point placé sur la carte.',
        LineString: (n) => `Ligne de ${formatNumber(n)} points tracée.`,
        Polygon: (n) => `Zone de ${formatNumber(n)} sommets tracée.`,
      },
      addressLegend: 'Ou placer un point par une adresse',
      addressLabel: 'Adresse ou lieu',
      addressSubmit: 'Placer le point',
      addressNone: (q) => `Aucune adresse trouvée pour « ${q} ».`,
      addressFailed: "La recherche d'adresse ne répond pas pour l'instant.",
      addressPlaced: (label) => `Point placé : ${label}.`,
      textLabel: 'Votre contribution',
      textHint: '1 000 caractères au plus.',
      textCount: (n) => `${formatNumber(n)} / 1 000`,
      sectorLabel: 'Secteur concerné (facultatif)',
      sectorNone: 'Aucun',
      actorLabel: 'Structure liée (facultatif)',
      actorPlaceholder: "Nom d'une structure de l'annuaire",
      actorSearch: 'Chercher',
      actorNone: (q) => `Aucune structure trouvée pour « ${q} ».`,
      actorResults: (n) => (n === 0 ? 'Aucune structure.' : plural(n, 'structure trouvée', 'structures trouvées')),
      actorLinked: (name) => `Liée à ${name}`,
      actorRemove: 'Retirer',
      send: 'Envoyer',
      sending: 'Envoi…',
      cancel: 'Annuler',
      sent: 'Contribution envoyée.',
      needKind: "Choisissez d'abord le type de contribution.",
      needGeometry: "Choisissez d'abord un lieu sur la carte ou par une adresse.",
      needText: 'Écrivez votre contribution.',
      failed: "L'envoi a échoué. Réessayez.",
      refused: (msg) => `Contribution refusée : ${msg}`,
      closed: "L'atelier n'accepte plus de contributions.",
    },
    list: {
      title: 'Contributions',
      count: (n) => plural(n, 'contribution', 'contributions'),
      empty: 'Aucune contribution pour le moment.',
      mine: 'vous',
      vote: '+1',
      voteLabel: (n, voted) => `${voted ? 'Retirer mon +1' : 'Voter +1'} (${plural(n, 'vote', 'votes')})`,
      edit: 'Modifier',
      delete: 'Supprimer',
      confirmDelete: 'Confirmer la suppression',
      save: 'Enregistrer',
      cancel: 'Annuler',
      show: 'Voir sur la carte',
      hiddenMine: "Une de vos contributions a été masquée par l'animateur.",
      failed: "L'action n'a pas abouti. Réessayez.",
    },
    follow: "Suivre l'animateur",
    followHint: "La carte suit la vue que l'animateur montre à tous.",

    // Projection (/ateliers/{code}/projection).
    projection: {
      joinTitle: "Participez depuis votre téléphone",
      joinAt: 'Ouvrez',
      joinCode: 'Code',
      qrLabel: (url) => `QR code vers ${url}`,
      counters: 'Contributions par type',
      feed: 'Dernières contributions',
      feedEmpty: 'Les contributions apparaîtront ici dès leur envoi.',
      pinned: 'Épinglée',
      hidden: 'Masquée',
      filters: 'Filtres',
      kindsLegend: 'Types affichés',
      sectorLabel: 'Secteur',
      allSectors: 'Tous les secteurs',
      controls: 'Animation',
      open: "Ouvrir l'atelier",
      close: "Clore l'atelier",
      confirmClose: 'Confirmer la clôture',
      reopen: "Rouvrir l'atelier",
      publish: 'Publier le compte rendu',
      unpublish: 'Retirer la publication',
      pushView: 'Montrer ma vue à tous',
      pushed: 'Vue envoyée aux participants qui suivent.',
      record: 'Compte rendu',
      opened: "L'atelier est ouvert.",
      closed: "L'atelier est clos.",
      actionFailed: "L'action n'a pas abouti.",
      selection: 'Contribution choisie',
      hide: 'Masquer',
      unhide: 'Réafficher',
      pin: 'Épingler',
      unpin: 'Désépingler',
      edit: 'Modifier le texte',
      save: 'Enregistrer',
      cancel: 'Annuler',
      showAll: 'Montrer à tous',
      closeSelection: 'Fermer',
      textLabel: 'Texte de la contribution',
    },

    // Record (/ateliers/{code}/synthese).
    record: {
      title: 'Compte rendu',
      summary: (n) => plural(n, 'contribution visible', 'contributions visibles'),
      legend: 'Légende',
      table: 'Contributions par secteur et par type',
      sectorHeader: 'Secteur',
      total: 'Total',
      byKind: 'Contributions par type, puis par secteur',
      exports: 'Exporter',
      geojson: 'GeoJSON',
      csv: 'CSV (tableur)',
      print: 'Imprimer',
      printed: (date) => `Imprimé le ${date}`,
      attribution: "Fond de carte © contributeurs OpenStreetMap. Acteurs : annuaire maillage et ses sources.",
      empty: 'Aucune contribution visible.',
      exportFailed: "L'export n'a pas abouti.",
    },

    // Keepers' list (/ateliers).
    keeper: {
      title: 'Ateliers de diagnostic territorial',
      intro:
        "Créez un atelier, projetez-le au mur, et les participants contribuent depuis leur téléphone avec le code affiché.",
      list: 'Ateliers',
      none: "Aucun atelier pour l'instant.",
      columns: { title: 'Atelier', date: 'Date', code: 'Code', status: 'État', links: 'Liens' },
      projection: 'Projection',
      participant: 'Page participant',
      record: 'Compte rendu',
      create: 'Créer un atelier',
      titleLabel: 'Titre',
      descriptionLabel: 'Description (facultatif)',
      dateLabel: 'Date',
      territory: 'Territoire',
      territoryHint:
        "La carte de l'atelier s'ouvrira sur la vue ci-dessous : déplacez-la et zoomez sur le territoire, ou dessinez une zone.",
      drawZone: 'Dessiner une zone',
      clearZone: 'Effacer la zone',
      zoneDrawn: 'Zone dessinée : elle définit le territoire.',
      sectors: 'Secteurs travaillés (facultatif)',
      submit: "Créer l'atelier",
      created: (code) => `Atelier créé. Code : ${code}`,
      participantLink: 'Lien des participants',
      animatorLink: "Lien d'animation (à garder : il n'est montré qu'une fois)",
      copy: 'Copier',
      copied: 'Copié.',
      failed: "L'atelier n'a pas pu être créé.",
      invalid: (fields) => `À corriger : ${fields}`,
      changeToken: 'Changer de jeton',
    },

    // The main map's layer of published workshops.
    layer: {
      title: 'Ateliers',
      toggle: 'Contributions des ateliers publiés',
      hint: 'Ce que les ateliers de diagnostic ont placé sur le territoire.',
      failed: "Les contributions des ateliers n'ont pas pu être chargées.",
      count: (n) => formatNumber(n),
      from: (title) => `Atelier : ${title}`,
    },
  },

  // Used by the server in the <head> of /acteurs/{id} (build.mjs copies
  // them into dist/strings.json).
  server: {
    titleSuffix: ' — maillage',
    inCity: 'à',
    more: "Fiche sur la carte des acteurs de l'économie sociale et solidaire.",
    notFoundTitle: 'Acteur introuvable — maillage',
    workshopSuffix: ' — atelier maillage',
    projectionSuffix: ' — projection',
    recordSuffix: ' — compte rendu',
    workshopNotFoundTitle: 'Atelier introuvable — maillage',
    workshopsTitle: 'Ateliers — maillage',
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
