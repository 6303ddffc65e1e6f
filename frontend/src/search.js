// The address search box: suggestions from the server's geocoder
// (GET api/geocode, cached and rate-limited there); choosing one centres
// the map on it.

import L from 'leaflet';
import { searchAddress } from './api.js';

/** Adds the search box to map. */
export function createSearch(map, status, t) {
  const form = L.DomUtil.create('form', 'search leaflet-bar');
  form.setAttribute('role', 'search');
  L.DomEvent.disableClickPropagation(form);
  const label = L.DomUtil.create('label', 'search-label', form);
  label.textContent = t.search.label;
  const input = L.DomUtil.create('input', 'search-input', label);
  input.type = 'search';
  input.placeholder = t.search.placeholder;
  input.autocomplete = 'off';
  const list = L.DomUtil.create('datalist', '', form);
  list.id = 'search-suggestions';
  input.setAttribute('list', list.id);

  let found = [];
  let timer = null;
  let pending = null;

  async function suggest(q) {
    pending?.abort();
    pending = new AbortController();
    try {
      found = await searchAddress(q, { signal: pending.signal });
    } catch (err) {
      if (err.name !== 'AbortError') console.warn('maillage: search', err);
      return;
    }
    list.replaceChildren(
      ...found.map((c) => {
        const option = document.createElement('option');
        option.value = c.label;
        return option;
      }),
    );
  }

  input.addEventListener('input', () => {
    clearTimeout(timer);
    const q = input.value.trim();
    if (q.length >= 3) timer = setTimeout(() => suggest(q), 300);
  });

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const q = input.value.trim();
    if (q.length < 3) return;
    let hit = found.find((c) => c.label === q);
    if (!hit) {
      try {
        [hit] = await searchAddress(q);
      } catch (err) {
        console.warn('maillage: search', err);
        status.notice(t.search.failed);
        return;
      }
    }
    const c = hit?.location?.coordinates;
    if (!Array.isArray(c)) {
      status.notice(t.search.none(q));
      return;
    }
    map.setView([c[1], c[0]], hit.type === 'municipality' ? 13 : 17);
  });

  const control = L.control({ position: 'topleft' });
  control.onAdd = () => form;
  control.addTo(map);
}
