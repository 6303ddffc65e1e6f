// Calls to the maillage HTTP API. Paths are relative to the app's root
// (the document's base URL when the page loaded), so the page also works
// when served under a prefix, and after the address bar changed.

import { root } from './urlstate.js';

export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

async function getJSON(path, { signal } = {}) {
  const url = new URL(path, root);
  let res;
  try {
    res = await fetch(url, { headers: { Accept: 'application/json' }, signal });
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new ApiError(`GET ${url.pathname}: ${err.message}`, 0);
  }
  if (!res.ok) throw new ApiError(`GET ${url.pathname}: HTTP ${res.status}`, res.status);
  try {
    return await res.json();
  } catch {
    throw new ApiError(`GET ${url.pathname}: response is not JSON`, res.status);
  }
}

/**
 * Returns the sectors, ordered by position.
 * Response: {"items":[{slug,label,color,icon,synonyms,position}],"total","next"}.
 */
export async function fetchSectors(opts) {
  const body = await getJSON('api/sectors', opts);
  if (!body || !Array.isArray(body.items)) {
    throw new ApiError('GET api/sectors: no "items" array', 200);
  }
  return body.items
    .filter((s) => s && typeof s.slug === 'string')
    .sort((a, b) => (a.position ?? 0) - (b.position ?? 0));
}

/**
 * Returns a page of published actors: {items, total, next}. params are
 * those of GET api/actors (sectors, q, bbox, limit, offset).
 */
export async function listActors(params, opts) {
  const body = await getJSON(`api/actors?${new URLSearchParams(params)}`, opts);
  if (!body || !Array.isArray(body.items)) throw new ApiError('GET api/actors: no "items" array', 200);
  return body;
}

/**
 * Returns the counts of the actors of a selection (the filters of
 * listActors) by structure type and legal family (GET api/actors/facets):
 * {total, kind: [{value, count}], legal_family: [{value, count}]}.
 */
export async function actorFacets(params, opts) {
  const body = await getJSON(`api/actors/facets?${new URLSearchParams(params)}`, opts);
  if (!body || !Array.isArray(body.kind) || !Array.isArray(body.legal_family)) {
    throw new ApiError('GET api/actors/facets: no "kind" and "legal_family" arrays', 200);
  }
  return body;
}

/**
 * Returns the communes whose name (accents, case, hyphens ignored), code
 * or postcode matches q, from the server's territories (GET
 * api/territories?level=commune): [{code, name, point: GeoJSON Point,
 * bbox}], those without a point left out.
 */
export async function searchCommunes(q, opts) {
  const body = await getJSON(`api/territories?${new URLSearchParams({ level: 'commune', q, limit: '5' })}`, opts);
  return Array.isArray(body?.items) ? body.items.filter((c) => Array.isArray(c?.point?.coordinates)) : [];
}

/** Returns one actor (GET api/actors/{id}); ApiError status 404 when unknown. */
export async function fetchActor(id, opts) {
  return getJSON(`api/actors/${encodeURIComponent(id)}`, opts);
}

/**
 * Returns the published actors nearest to lat, lon, nearest first, each
 * with distance_m (GET api/actors/nearby).
 */
export async function nearbyActors(params, opts) {
  const body = await getJSON(`api/actors/nearby?${new URLSearchParams(params)}`, opts);
  return Array.isArray(body?.items) ? body.items : [];
}

/** Returns the TileJSON of the actors' tiles (bounds, minzoom, maxzoom). */
export async function fetchTileJSON(opts) {
  return getJSON('tiles/actors.json', opts);
}

/**
 * Returns the published actors as a GeoJSON FeatureCollection with the
 * foreign members attribution, numberMatched, numberReturned, truncated.
 */
export async function fetchActors(opts) {
  const fc = await getJSON('api/actors.geojson', opts);
  if (!fc || fc.type !== 'FeatureCollection' || !Array.isArray(fc.features)) {
    throw new ApiError('GET api/actors.geojson: not a FeatureCollection', 200);
  }
  return fc;
}

/**
 * Returns the address candidates of q from the server's geocoder
 * (GET api/geocode): [{label, score, type, location: GeoJSON Point}].
 */
export async function searchAddress(q, opts) {
  const body = await getJSON(`api/geocode?${new URLSearchParams({ q, autocomplete: '1' })}`, opts);
  return Array.isArray(body?.items) ? body.items : [];
}
