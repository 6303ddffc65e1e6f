// The list of actors in the map's view, in sync with the view and the
// sector filters: the keyboard and screen reader way to the actors.

import { listActors } from './api.js';
import { el } from './dom.js';
import { primarySector } from './sectors.js';

const PAGE = 50;

/** Builds one actor's row: a button with its name, sector and commune. */
export function actorRow(actor, sectors, t, onOpen, extra) {
  const li = el('li', 'actor-list__row');
  li.dataset.id = String(actor.id);
  const b = el('button', 'actor-list__item');
  b.type = 'button';
  b.dataset.id = String(actor.id);
  const s = primarySector(actor, sectors);
  const swatch = el('span', 'swatch');
  swatch.setAttribute('aria-hidden', 'true');
  if (s) swatch.style.backgroundColor = s.color;
  const name = el('span', 'actor-list__name', actor.name || '—');
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
 * Fills container with the list. Returns {update(bbox, sectors|null)}:
 * sectors null means every sector, [] none.
 */
export function createList(container, sectors, t, onOpen) {
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
  container.replaceChildren(title, summary, ol, more);

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
    update(bbox, slugs) {
      if (slugs && slugs.length === 0) {
        pending?.abort();
        ol.replaceChildren();
        shown = 0;
        container.dataset.total = '0';
        summary.textContent = t.list.noSector;
        more.hidden = true;
        return;
      }
      query = { bbox: bbox.map((v) => v.toFixed(5)).join(',') };
      if (slugs) query.sectors = slugs.join(',');
      load(false);
    },
  };
}
