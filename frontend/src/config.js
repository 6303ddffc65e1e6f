// Page configuration. The server may inject
//   <script id="maillage-config" type="application/json">{...}</script>
// into index.html; any key missing or malformed falls back to the default.

const defaults = {
  basemapURL: 'https://tile.openstreetmap.org/{z}/{x}/{y}.png',
  basemapAttribution: '', // empty: the OpenStreetMap credit of the locale
};

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
  for (const key of Object.keys(defaults)) {
    if (typeof injected[key] === 'string' && injected[key].trim() !== '') {
      config[key] = injected[key].trim();
    }
  }
  return config;
}
