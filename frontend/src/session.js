// The signed-in person: GET api/session gives them with the CSRF token
// that every write through the session cookie must carry.

import { ApiError } from './api.js';
import { root } from './urlstate.js';

let current = null; // {user, csrf_token} once known

async function call(method, path, body) {
  const url = new URL(path, root);
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (current && method !== 'GET') headers['X-CSRF-Token'] = current.csrf_token;
  let res;
  try {
    res = await fetch(url, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new ApiError(`${method} ${url.pathname}: ${err.message}`, 0);
  }
  let data = null;
  if (res.status !== 204) data = await res.json().catch(() => null);
  if (!res.ok) {
    const e = new ApiError(`${method} ${url.pathname}: HTTP ${res.status}`, res.status);
    e.fields = data?.fields ?? {};
    throw e;
  }
  return data;
}

/** Returns the session ({user, csrf_token}), or null when not signed in. */
export async function loadSession() {
  const s = await call('GET', 'api/session');
  current = s?.user ? s : null;
  return current;
}

/** Signs in; throws ApiError (401 wrong password, 429 too many tries). */
export async function signIn(email, password) {
  current = await call('POST', 'api/session', { email, password });
  return current;
}

/** Ends the session. */
export async function signOut() {
  await call('DELETE', 'api/session');
  current = null;
}

/** Asks for a one-time link to set a password, sent by mail. */
export const requestLink = (email) => call('POST', 'api/password-links', { email });

/** Sets the password with a one-time link. */
export const setPassword = (link, password) => call('PUT', 'api/password', { link, password });

/** A write through the session (JSON body), with its CSRF token. */
export const sessionWrite = (method, path, body) => call(method, path, body);
