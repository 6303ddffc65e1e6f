// Page configuration. The server injects
//   <script id="maillage-config" type="application/json">{...}</script>
// into the page; any key missing or malformed falls back to the default.

const defaults = {
  basemapURL: 'https://tile.openstreetmap.org/{z}/{x}/{y}.png',
  basemapAttribution: '', // empty: the OpenStreetMap credit of the locale
  actorZoom: 12, // first zoom of single actors in the tiles
  actorId: null, // on /acteurs/{id}: the actor to open
  notFound: false, // on /acteurs/{id} of no published actor, or /ateliers/{code} of no workshop
  keeper: false, // on /gestion: the keepers' tools
  workshop: null, // on /ateliers/{code}[/projection|/synthese]: {id, code, page}
};

const workshopPages = new Set(['participant', 'projection', 'record', 'keeper']);

/** Returns the page configuration, never throwing. */
export function readConfig(doc = document) {
  const config = { ...defaults };
  const el = doc.getElementById('maillage-config');
  if (!el) return config;
  let injected;
  try {
    injected = JSON.parse(el.textContent);
  } catch {
    console.warn('maillage: #maillage-config is not valid JSON; defaults used');
    return config;
  }
  if (!injected || typeof injected !== 'object') return config;
  for (const key of ['basemapURL', 'basemapAttribution']) {
    if (typeof injected[key] === 'string' && injected[key].trim() !== '') {
      config[key] = injected[key].trim();
    }
  }
  if (Number.isInteger(injected.actorZoom) && injected.actorZoom >= 0) config.actorZoom = injected.actorZoom;
  if (Number.isInteger(injected.actorId) && injected.actorId > 0) config.actorId = injected.actorId;
  config.notFound = injected.notFound === true;
  config.keeper = injected.keeper === true;
  const w = injected.workshop;
  if (w && typeof w === 'object' && workshopPages.has(w.page)) {
    config.workshop = {
      id: Number.isInteger(w.id) && w.id > 0 ? w.id : null,
      code: typeof w.code === 'string' ? w.code : '',
      page: w.page,
    };
  }
  return config;
}
