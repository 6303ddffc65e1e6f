// The list of actors in the map's view, in sync with the view and the
// sector filters: the keyboard and screen reader way to the actors. Staff
// narrow it by structure type and legal family, each value with its count
// in the selection, and export it as CSV with the same filters.

import { actorFacets, listActors } from './api.js';
import { el } from './dom.js';
import { saneCase } from './card.js';
import { primarySector, sectorBadge } from './sectors.js';
import { root } from './urlstate.js';

const PAGE = 50;

/** Builds one actor's row: a button with its name, sector and commune. */
export function actorRow(actor, sectors, t, onOpen, extra) {
  const li = el('li', 'actor-list__row');
  li.dataset.id = String(actor.id);
  const b = el('button', 'actor-list__item');
  b.type = 'button';
  b.dataset.id = String(actor.id);
  const s = primarySector(actor, sectors);
  const swatch = sectorBadge(s, 'pictogram swatch');
  const name = el('span', 'actor-list__name', saneCase(actor.name || '') || '—');
  const meta = [s ? s.label : '', [actor.address?.postcode, actor.address?.city].filter(Boolean).join(' ')]
    .filter(Boolean)
    .join(' · ');
  b.append(swatch, name, el('span', 'actor-list__meta', meta));
  if (extra) b.append(el('span', 'actor-list__extra', extra));
  b.addEventListener('click', () => onOpen(actor));
  li.append(b);
  return li;
}

/**
 * Builds the facet filters: one fieldset per facet (kind, legal_family),
 * a checkbox per value with its count. onChange() is called after each
 * change. Returns {node, params(), setCounts(facets)}: params() gives the
 * kind and legal_family parameters of the ticked values.
 */
function createFacetFilters(t, onChange) {
  const box = el('details', 'list-filters');
  const summary = el('summary', 'list-filters__summary', t.list.filters.title);
  const hint = el('p', 'list-filters__hint', t.list.filters.hint);
  box.append(summary, hint);
  const facets = [
    { name: 'kind', legend: t.list.filters.kind, labels: t.list.filters.kinds },
    { name: 'legal_family', legend: t.list.filters.family, labels: t.list.filters.families },
  ];
  for (const f of facets) {
    f.ticked = new Set();
    f.rows = new Map(); // value -> {li, count}
    const set = el('fieldset', 'list-filters__facet');
    set.append(el('legend', 'list-filters__legend', f.legend));
    f.list = el('ul', 'list-filters__values');
    set.append(f.list);
    box.append(set);
  }
  const clear = el('button', 'link-button', t.list.filters.clear);
  clear.type = 'button';
  clear.hidden = true;
  clear.addEventListener('click', () => {
    for (const f of facets) {
      f.ticked.clear();
      for (const input of f.list.querySelectorAll('input')) input.checked = false;
    }
    changed();
  });
  box.append(clear);

  function changed() {
    const n = facets.reduce((sum, f) => sum + f.ticked.size, 0);
    summary.textContent = n > 0 ? t.list.filters.titleActive(n) : t.list.filters.title;
    clear.hidden = n === 0;
    onChange();
  }

  function row(f, value) {
    const li = el('li', 'list-filters__value');
    const label = el('label');
    const input = el('input');
    input.type = 'checkbox';
    input.name = f.name;
    input.value = value;
    input.addEventListener('change', () => {
      if (input.checked) f.ticked.add(value);
      else f.ticked.delete(value);
      changed();
    });
    const count = el('span', 'list-filters__count');
    label.append(input, el('span', 'list-filters__label', f.labels[value] ?? value), count);
    li.append(label);
    f.list.append(li);
    const r = { li, count };
    f.rows.set(value, r);
    return r;
  }

  return {
    node: box,
    params() {
      const p = {};
      for (const f of facets) if (f.ticked.size > 0) p[f.name] = [...f.ticked].join(',');
      return p;
    },
    /** Shows the counts of {kind, legal_family}; values with none are hidden unless ticked. */
    setCounts(counts) {
      for (const f of facets) {
        for (const { value, count } of counts[f.name] ?? []) {
          const r = f.rows.get(value) ?? row(f, value);
          r.count.textContent = t.legendCount(count);
          r.count.dataset.count = String(count);
          r.li.hidden = count === 0 && !f.ticked.has(value);
        }
      }
      box.dataset.ready = 'true';
    },
  };
}

/**
 * Fills container with the list. Returns {update(bbox, sectors|null,
 * text)}: sectors null means every sector, [] none; text {q, near: [lat,
 * lng]} lists the actors matching q anywhere, nearest to near first.
 * onClearText is called when the reader removes the text filter.
 */
export function createList(container, sectors, t, onOpen, onClearText) {
  const title = el('h2', 'actor-list__title', t.list.title);
  title.id = 'list-title';
  title.tabIndex = -1;
  const summary = el('p', 'actor-list__summary');
  summary.setAttribute('aria-live', 'polite');
  const ol = el('ol', 'actor-list');
  ol.setAttribute('aria-labelledby', 'list-title');
  const more = el('button', 'button button--quiet', t.list.more);
  more.type = 'button';
  more.hidden = true;
  const filter = el('p', 'actor-list__filter');
  filter.hidden = true;
  const filterText = el('span');
  const clear = el('button', 'link-button', t.search.clearFilter);
  clear.type = 'button';
  clear.addEventListener('click', () => onClearText?.());
  filter.append(filterText, document.createTextNode(' '), clear);
  // The same selection as a CSV file (the export takes the list's filters).
  const exportLink = el('a', 'actor-list__export', t.list.exportCSV);
  exportLink.hidden = true;
  const facetFilters = createFacetFilters(t, () => apply());
  container.replaceChildren(title, filter, facetFilters.node, summary, ol, more, exportLink);

  let pending = null;
  let pendingFacets = null;
  let base = null; // the view's selection: bbox or text, sectors
  let query = null; // base and the facet filters
  let shown = 0;

  async function loadFacets() {
    pendingFacets?.abort();
    pendingFacets = new AbortController();
    const params = { ...query };
    delete params.near;
    try {
      facetFilters.setCounts(await actorFacets(params, { signal: pendingFacets.signal }));
    } catch (err) {
      if (err.name !== 'AbortError') console.warn('maillage: facets', err);
    }
  }

  /** Lists base with the facet filters, and exports the same. */
  function apply() {
    if (!base) return;
    query = { ...base, ...facetFilters.params() };
    const csv = new URL('api/actors.csv', root);
    for (const [k, v] of Object.entries(query)) if (k !== 'near') csv.searchParams.set(k, v);
    exportLink.href = csv.href;
    exportLink.hidden = false;
    load(false);
    loadFacets();
  }

  async function load(append) {
    pending?.abort();
    pending = new AbortController();
    let page;
    try {
      page = await listActors({ ...query, limit: String(PAGE), offset: String(append ? shown : 0) }, { signal: pending.signal });
    } catch (err) {
      if (err.name === 'AbortError') return;
      console.warn('maillage: list', err);
      summary.textContent = t.list.failed;
      return;
    }
    const rows = page.items.map((a) => actorRow(a, sectors, t, onOpen));
    if (append) ol.append(...rows);
    else ol.replaceChildren(...rows);
    shown = ol.childElementCount;
    container.dataset.total = String(page.total);
    summary.textContent = page.total === 0 ? t.list.none : t.list.summary(shown, page.total);
    more.hidden = shown >= page.total;
  }

  more.addEventListener('click', () => load(true));

  return {
    title,
    update(bbox, slugs, text = null) {
      filter.hidden = !text;
      filterText.textContent = text ? t.search.filter(text.q) : '';
      container.dataset.q = text ? text.q : '';
      if (slugs && slugs.length === 0) {
        base = null;
        pending?.abort();
        pendingFacets?.abort();
        ol.replaceChildren();
        shown = 0;
        container.dataset.total = '0';
        summary.textContent = t.list.noSector;
        more.hidden = true;
        exportLink.hidden = true;
        return;
      }
      base = text
        ? { q: text.q, near: `${text.near[1].toFixed(5)},${text.near[0].toFixed(5)}` }
        : { bbox: bbox.map((v) => v.toFixed(5)).join(',') };
      if (slugs) base.sectors = slugs.join(',');
      apply();
    },
  };
}
