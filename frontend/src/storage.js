// Tokens and small settings kept by the browser. Storage may be refused
// (private browsing, disabled cookies): reads then give "" and writes are
// dropped, so the page still works until it is reloaded.

/** The keeper token key, shared by the map's correction mode and the workshop pages. */
export const KEEPER_TOKEN = 'maillage.keeperToken';

function area(persistent) {
  try {
    return persistent ? window.localStorage : window.sessionStorage;
  } catch {
    return null;
  }
}

/** Returns the stored value of key ("" when absent or unreadable). */
export function readStored(key, { persistent = false } = {}) {
  try {
    return area(persistent)?.getItem(key) ?? '';
  } catch {
    return '';
  }
}

/** Stores value under key; an empty value removes it. */
export function writeStored(key, value, { persistent = false } = {}) {
  try {
    const s = area(persistent);
    if (!s) return;
    if (value) s.setItem(key, value);
    else s.removeItem(key);
  } catch {
    // Refused: the value lives until the page is reloaded.
  }
}
