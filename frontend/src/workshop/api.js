// Calls to the workshop API (/api/workshops…), with the caller's bearer
// token: a participant's (wsp_), an animator's secret (wsa_) or a keeper's.
// Errors are ApiError with the HTTP status, the server's message and, for
// a 400, the fields it names.

import { ApiError } from '../api.js';
import { root } from '../urlstate.js';

const MAX_ANNOTATIONS = 10000; // pages followed when listing

/** Throws ApiError for a failed response, with the body's error and fields. */
async function failure(method, url, res) {
  let body = null;
  try {
    body = await res.json();
  } catch {
    // Not JSON: the status says enough.
  }
  const err = new ApiError(`${method} ${url.pathname}: HTTP ${res.status}`, res.status);
  err.serverMessage = typeof body?.error === 'string' ? body.error : '';
  err.fields = body?.fields && typeof body.fields === 'object' ? body.fields : {};
  err.retryAfter = Number(res.headers.get('Retry-After')) || 0;
  return err;
}

/**
 * Sends a request to path (relative to the app's root) and returns the
 * decoded JSON, or null for 204. Without a token, a write of someone
 * signed in carries csrf, the CSRF token of their session.
 */
export async function request(method, path, { token = '', csrf = '', body, signal } = {}) {
  const url = new URL(path, root);
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  else if (csrf && method !== 'GET') headers['X-CSRF-Token'] = csrf;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new ApiError(`${method} ${url.pathname}: ${err.message}`, 0);
  }
  if (!res.ok) throw await failure(method, url, res);
  if (res.status === 204) return null;
  try {
    return await res.json();
  } catch {
    throw new ApiError(`${method} ${url.pathname}: response is not JSON`, res.status);
  }
}

const ws = (id) => `api/workshops/${encodeURIComponent(id)}`;

/** Returns one workshop, as the token's holder sees it. */
export const getWorkshop = (id, token, opts) => request('GET', ws(id), { token, ...opts });

/** Returns the workshops a keeper or an animator sees: {items, total, next}; auth as createWorkshop's. */
export const listWorkshops = (auth, params = {}) =>
  request('GET', `api/workshops?${new URLSearchParams(params)}`, { ...auth });

/**
 * Creates a workshop; the answer carries animator_secret and animator_url
 * once. auth is {token} (a keeper's token) or {csrf} (a session's).
 */
export const createWorkshop = (body, auth) => request('POST', 'api/workshops', { ...auth, body });

/** Changes a workshop's fields (title, status, published…). */
export const patchWorkshop = (id, body, token) => request('PATCH', ws(id), { token, body });

/** Joins a workshop by its code: {token, workshop}. */
export const joinWorkshop = (code) => request('POST', 'api/workshops/join', { body: { code } });

/**
 * Returns every annotation of a workshop the token's holder sees,
 * following the pages' "next" links.
 */
export async function listAnnotations(id, token, opts) {
  const items = [];
  let path = `${ws(id)}/annotations?limit=500`;
  while (path && items.length < MAX_ANNOTATIONS) {
    const page = await request('GET', path, { token, ...opts });
    if (!page || !Array.isArray(page.items)) throw new ApiError(`GET ${path}: no "items" array`, 200);
    items.push(...page.items);
    path = typeof page.next === 'string' && page.next && page.items.length > 0 ? nextPath(page.next) : null;
  }
  return items;
}

/** Turns a "next" link (absolute or relative to the site) into a path from the app's root. */
function nextPath(next) {
  const url = new URL(next, root);
  const base = new URL(root);
  return url.pathname.startsWith(base.pathname) ? url.pathname.slice(base.pathname.length) + url.search : next;
}

export const postAnnotation = (id, body, token) => request('POST', `${ws(id)}/annotations`, { token, body });

export const patchAnnotation = (id, aid, body, token) =>
  request('PATCH', `${ws(id)}/annotations/${encodeURIComponent(aid)}`, { token, body });

export const deleteAnnotation = (id, aid, token) =>
  request('DELETE', `${ws(id)}/annotations/${encodeURIComponent(aid)}`, { token });

/** Adds (on) or removes the caller's +1: {votes, voted}. */
export const vote = (id, aid, on, token) =>
  request(on ? 'PUT' : 'DELETE', `${ws(id)}/annotations/${encodeURIComponent(aid)}/vote`, { token });

/** Pushes the animator's view {center: [lon, lat], zoom, annotation_id} to every follower. */
export const putView = (id, view, token) => request('PUT', `${ws(id)}/view`, { token, body: view });

/** The URL of the workshop's event stream; EventSource cannot send headers, so the token goes in the query. */
export function eventsURL(id, token, lastEventId) {
  const url = new URL(`${ws(id)}/events`, root);
  if (token) url.searchParams.set('token', token);
  if (lastEventId) url.searchParams.set('last_event_id', lastEventId);
  return url;
}

/** The URL of an export of the record: format "geojson" or "csv". */
export const exportURL = (id, format) => new URL(`${ws(id)}/export.${format}`, root);

/** Downloads url with the token as a Blob. */
export async function fetchBlob(url, token) {
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  let res;
  try {
    res = await fetch(url, { headers });
  } catch (err) {
    throw new ApiError(`GET ${url.pathname}: ${err.message}`, 0);
  }
  if (!res.ok) throw await failure('GET', url, res);
  return res.blob();
}

/**
 * Returns the visible annotations of published workshops in bbox
 * [w, s, e, n] (the main map) or in a territory given as level:code (the
 * coverage view), as a GeoJSON FeatureCollection.
 */
export async function publishedAnnotations({ bbox, within }, opts) {
  const q = new URLSearchParams();
  if (bbox) q.set('bbox', bbox.map((v) => v.toFixed(5)).join(','));
  if (within) q.set('within', within);
  const fc = await request('GET', `api/workshop-annotations.geojson?${q.toString().replace(/%2C/g, ',').replace(/%3A/g, ':')}`, opts);
  if (!fc || fc.type !== 'FeatureCollection' || !Array.isArray(fc.features)) {
    throw new ApiError('GET api/workshop-annotations.geojson: not a FeatureCollection', 200);
  }
  return fc;
}
