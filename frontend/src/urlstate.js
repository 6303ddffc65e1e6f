// The view in the URL, so that a link reproduces it:
//   [acteurs/{id}]?lat=&lon=&z=&secteurs=a,b[&embed=1&legend=0&search=0&full=0&lock=1]
// "secteurs" (or "sectors") is absent when every sector is shown. An embed
// shows its legend, its search and its "Voir la carte complète" link
// unless legend, search or full is 0; lock=1 fixes its sectors. The app's
// root is the document's base URL (the server sets <base href="../"> on
// /acteurs/{id}).

export const root = new URL('./', document.baseURI);

/** Reads the state of the current URL. Values are null when absent or invalid. */
export function readURL(loc = window.location, actorId = null) {
  const q = new URLSearchParams(loc.search);
  const num = (k, min, max) => {
    const v = Number.parseFloat(q.get(k));
    return Number.isFinite(v) && v >= min && v <= max ? v : null;
  };
  const lat = num('lat', -85, 85);
  const lon = num('lon', -180, 180);
  const z = num('z', 0, 19);
  const listed = q.get('secteurs') ?? q.get('sectors');
  const sectors = listed !== null ? listed.split(',').filter(Boolean) : null;
  return {
    center: lat !== null && lon !== null ? [lat, lon] : null,
    zoom: z,
    sectors,
    actor: actorId,
    embed:
      q.get('embed') === '1'
        ? { legend: q.get('legend') !== '0', search: q.get('search') !== '0', full: q.get('full') !== '0', lock: q.get('lock') === '1' && sectors !== null }
        : false,
  };
}

/**
 * Returns the URL of a state {center, zoom, sectors (null: all), actor,
 * embed (false, or {legend, search, full, lock}), keeper}; the keepers'
 * space stays on /gestion.
 */
export function stateURL({ center, zoom, sectors, actor, embed, keeper = false }) {
  const url = new URL(keeper ? 'gestion' : actor ? `acteurs/${actor}` : './', root);
  const q = new URLSearchParams();
  if (center) {
    q.set('lat', center[0].toFixed(5));
    q.set('lon', center[1].toFixed(5));
  }
  if (zoom !== null && zoom !== undefined) q.set('z', String(Math.round(zoom * 100) / 100));
  if (sectors) q.set('secteurs', sectors.join(','));
  if (embed) {
    q.set('embed', '1');
    if (embed.legend === false) q.set('legend', '0');
    if (embed.search === false) q.set('search', '0');
    if (embed.full === false) q.set('full', '0');
    if (embed.lock && sectors) q.set('lock', '1');
  }
  const s = q.toString();
  url.search = s ? `?${s.replace(/%2C/g, ',')}` : '';
  return url;
}

/** Replaces the address bar's URL with the state's, without reloading. */
export function writeURL(state) {
  const url = stateURL(state);
  if (url.href !== window.location.href) history.replaceState(null, '', url);
}
