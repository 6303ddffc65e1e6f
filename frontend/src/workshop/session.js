// Who this browser is in a workshop. A participant's token (and chosen
// name) is kept in localStorage, so that a phone that reloads keeps its
// annotations and votes; an animator's secret is kept for the tab only
// (sessionStorage), taken from the animator link's fragment
// (#secret=wsa_…), which never reaches the server's logs.

import { KEEPER_TOKEN, readStored, writeStored } from '../storage.js';

const key = (code, what) => `maillage.workshop.${code}.${what}`;
const persistent = { persistent: true };

export const participantToken = (code) => readStored(key(code, 'participant'), persistent);
export const participantName = (code) => readStored(key(code, 'name'), persistent);

/** Remembers the participant's token and name ("" for anonymous). */
export function saveParticipant(code, token, name) {
  writeStored(key(code, 'participant'), token, persistent);
  writeStored(key(code, 'name'), name, persistent);
}

export const forgetParticipant = (code) => saveParticipant(code, '', '');

export const animatorSecret = (code) => readStored(key(code, 'animator'));
export const saveAnimatorSecret = (code, secret) => writeStored(key(code, 'animator'), secret);

export const keeperToken = () => readStored(KEEPER_TOKEN);
export const saveKeeperToken = (token) => writeStored(KEEPER_TOKEN, token);

/**
 * Moves a secret from the URL's fragment (#secret=…) into the tab's
 * storage and removes it from the address bar, so that it is not shared
 * by copying the URL.
 */
export function takeSecretFromURL(code) {
  const hash = new URLSearchParams(window.location.hash.slice(1));
  const secret = hash.get('secret');
  if (!secret) return;
  saveAnimatorSecret(code, secret.trim());
  hash.delete('secret');
  const rest = hash.toString();
  history.replaceState(null, '', window.location.pathname + window.location.search + (rest ? `#${rest}` : ''));
}

/** Stores a token typed into an access form where it belongs: a wsa_ secret for this workshop, else a keeper's. */
export function saveTypedToken(code, token) {
  if (token.startsWith('wsa_')) saveAnimatorSecret(code, token);
  else saveKeeperToken(token);
}
