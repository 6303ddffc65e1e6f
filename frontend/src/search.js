// The one search box: communes from our own territories (GET
// api/territories?level=commune&q=), addresses and places from the
// server's geocoder (GET api/geocode, cached and rate-limited there) and
// actors by name (GET api/actors?q=), suggested as one types, in an ARIA
// 1.2 combobox. Choosing a commune or a place recentres the map; choosing
// an actor opens it.

import { listActors, searchAddress, searchCommunes } from './api.js';
import { el } from './dom.js';
import { sectorBadge, sectorsMatching } from './sectors.js';

const ZOOM_OF_TYPE = { housenumber: 17, street: 16, locality: 15, municipality: 13 };

/**
 * Fills container with the search form. onPlace(latlng, zoom) recentres,
 * onActor(actor) opens an actor, onSector(slug) shows only that sector,
 * onText(q) filters the map and the list to the actors matching q (null:
 * no filter), notice(text) tells the reader. sectors is the index of
 * sectors, whose synonyms are proposed as filters.
 */
export function createSearch(container, t, { sectors = new Map(), onPlace, onActor, onSector, onText, notice }) {
  const form = el('form', 'search');
  form.setAttribute('role', 'search');
  const label = el('label', 'search__label', t.search.label);
  label.htmlFor = 'search-input';
  const row = el('div', 'search__row');
  const input = el('input', 'search__input');
  input.id = 'search-input';
  input.type = 'search';
  input.placeholder = t.search.placeholder;
  input.autocomplete = 'off';
  input.setAttribute('role', 'combobox');
  input.setAttribute('aria-autocomplete', 'list');
  input.setAttribute('aria-expanded', 'false');
  input.setAttribute('aria-controls', 'search-suggestions');
  const submit = el('button', 'button search__submit', t.search.submit);
  submit.type = 'submit';
  row.append(input, submit);
  const list = el('ul', 'search__suggestions');
  list.id = 'search-suggestions';
  list.setAttribute('role', 'listbox');
  list.setAttribute('aria-label', t.search.label);
  list.hidden = true;
  const live = el('p', 'visually-hidden');
  live.setAttribute('aria-live', 'polite');
  form.append(label, row, list, live);
  container.replaceChildren(form);

  let options = []; // [{kind: 'actor'|'place', item, node}]
  let active = -1;
  let timer = null;
  let pending = null;

  function setActive(i) {
    if (options[active]) options[active].node.setAttribute('aria-selected', 'false');
    active = i;
    if (options[i]) {
      options[i].node.setAttribute('aria-selected', 'true');
      input.setAttribute('aria-activedescendant', options[i].node.id);
      options[i].node.scrollIntoView({ block: 'nearest' });
    } else {
      input.removeAttribute('aria-activedescendant');
    }
  }

  function closeList() {
    list.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    setActive(-1);
  }

  function render(actors, places, matched = [], communes = []) {
    options = [];
    const nodes = [];
    const group = (title, kind, items, text) => {
      if (items.length === 0) return;
      const h = el('li', 'search__group', title);
      h.setAttribute('role', 'presentation');
      nodes.push(h);
      for (const item of items) {
        const li = el('li', 'search__option', text(item));
        if (kind === 'sector') li.prepend(sectorBadge(item));
        li.id = `search-option-${options.length}`;
        li.setAttribute('role', 'option');
        li.setAttribute('aria-selected', 'false');
        li.dataset.kind = kind;
        const entry = { kind, item, node: li };
        li.addEventListener('mousedown', (e) => e.preventDefault()); // keep focus in the input
        li.addEventListener('click', () => choose(entry));
        options.push(entry);
        nodes.push(li);
      }
    };
    group(t.search.sectors, 'sector', matched, (s) => t.search.sectorOption(s.label));
    group(t.search.communes, 'commune', communes, (c) => t.search.communeOption(c.name, c.departement ?? ''));
    // The geocoder's communes that ours already list are left out.
    const ours = new Set(communes.map((c) => c.code));
    group(
      t.search.places,
      'place',
      places.filter((p) => !(p.type === 'municipality' && ours.has(p.citycode))),
      (p) => p.label,
    );
    group(t.search.actors, 'actor', actors, (a) =>
      [a.name, [a.address?.postcode, a.address?.city].filter(Boolean).join(' ')].filter(Boolean).join(' — '),
    );
    list.replaceChildren(...nodes);
    list.hidden = options.length === 0;
    input.setAttribute('aria-expanded', String(options.length > 0));
    active = -1;
    live.textContent = t.search.suggestions(options.length);
  }

  const findPlaces = (q, signal) =>
    searchAddress(q, { signal })
      .then((places) => places.filter((p) => Array.isArray(p?.location?.coordinates)))
      .catch((err) => {
        if (err.name === 'AbortError') throw err;
        console.warn('maillage: search', err);
        return [];
      });
  const findActors = (q, signal) => listActors({ q, limit: '5' }, { signal }).then((p) => p.items);
  const findCommunes = (q, signal) =>
    searchCommunes(q, { signal }).catch((err) => {
      if (err.name === 'AbortError') throw err;
      console.warn('maillage: search', err);
      return [];
    });

  // Sectors and actors are ours: they show at once, without waiting for
  // the address service, whose places join them when they come.
  async function suggest(q) {
    pending?.abort();
    pending = new AbortController();
    const { signal } = pending;
    const matched = sectorsMatching(sectors, q);
    let actors = [];
    let places = [];
    let communes = [];
    const current = () => input.value.trim() === q && !signal.aborted;
    const show = () => {
      if (current()) render(actors, places, matched, communes);
    };
    if (matched.length > 0) show();
    const a = findActors(q, signal).then((found) => {
      actors = found;
      show();
    });
    const c = findCommunes(q, signal).then((found) => {
      communes = found;
      show();
    });
    const p = findPlaces(q, signal).then((found) => {
      places = found;
      show();
    });
    try {
      await Promise.all([a, c, p]);
    } catch (err) {
      if (err.name !== 'AbortError') console.warn('maillage: search', err);
    }
  }

  function choose(entry) {
    closeList();
    if (entry.kind === 'sector') {
      input.value = '';
      onSector(entry.item.slug);
    } else if (entry.kind === 'commune') {
      input.value = entry.item.name;
      const [lon, lat] = entry.item.point.coordinates;
      onPlace([lat, lon], ZOOM_OF_TYPE.municipality);
    } else if (entry.kind === 'place') {
      input.value = entry.item.label;
      const [lon, lat] = entry.item.location.coordinates;
      onPlace([lat, lon], ZOOM_OF_TYPE[entry.item.type] ?? 14);
    } else {
      input.value = entry.item.name;
      onActor(entry.item);
    }
  }

  input.addEventListener('input', () => {
    clearTimeout(timer);
    const q = input.value.trim();
    if (q.length >= 3) timer = setTimeout(() => suggest(q), 250);
    else closeList();
  });

  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      if (options.length === 0) return;
      e.preventDefault();
      list.hidden = false;
      input.setAttribute('aria-expanded', 'true');
      const step = e.key === 'ArrowDown' ? 1 : -1;
      setActive((active + step + options.length) % options.length);
    } else if (e.key === 'Escape' && !list.hidden) {
      e.preventDefault();
      closeList();
    }
  });
  input.addEventListener('blur', () => setTimeout(closeList, 150));

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearTimeout(timer);
    if (options[active]) {
      choose(options[active]);
      return;
    }
    const q = input.value.trim();
    if (q.length < 2) return;
    pending?.abort();
    pending = new AbortController();
    // Text that names actors filters the map and the list to them; else
    // the first place found recentres the map.
    let actors;
    try {
      actors = await findActors(q, pending.signal);
    } catch (err) {
      if (err.name === 'AbortError') return;
      notice(t.search.failed);
      return;
    }
    closeList();
    if (actors.length > 0 && onText) {
      onText(q);
      const matched = sectorsMatching(sectors, q);
      if (matched.length > 0) render([], [], matched);
      return;
    }
    // Then a commune of ours, at once; then the address service.
    let communes;
    try {
      communes = await findCommunes(q, pending.signal);
    } catch {
      return; // aborted
    }
    if (communes[0]) {
      choose({ kind: 'commune', item: communes[0] });
      return;
    }
    let places;
    try {
      places = await findPlaces(q, pending.signal);
    } catch (err) {
      if (err.name === 'AbortError') return;
      notice(t.search.failed);
      return;
    }
    if (places[0]) choose({ kind: 'place', item: places[0] });
    else if (actors[0]) choose({ kind: 'actor', item: actors[0] });
    else notice(t.search.none(q));
  });

  return { input };
}
