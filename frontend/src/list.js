// The list of actors in the map's view, in sync with the view and the
// sector filters: the keyboard and screen reader way to the actors.

import { listActors } from './api.js';
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
  container.replaceChildren(title, filter, summary, ol, more, exportLink);

  let pending = null;
  let query = null;
  let shown = 0;

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
        pending?.abort();
        ol.replaceChildren();
        shown = 0;
        container.dataset.total = '0';
        summary.textContent = t.list.noSector;
        more.hidden = true;
        exportLink.hidden = true;
        return;
      }
      query = text
        ? { q: text.q, near: `${text.near[1].toFixed(5)},${text.near[0].toFixed(5)}` }
        : { bbox: bbox.map((v) => v.toFixed(5)).join(',') };
      if (slugs) query.sectors = slugs.join(',');
      const csv = new URL('api/actors.csv', root);
      for (const [k, v] of Object.entries(query)) if (k !== 'near') csv.searchParams.set(k, v);
      exportLink.href = csv.href;
      exportLink.hidden = false;
      load(false);
    },
  };
}
