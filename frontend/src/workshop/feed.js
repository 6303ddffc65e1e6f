// The projection's live feed: pinned annotations first, then the latest,
// each a button that selects it on the map.

import { button, el } from '../dom.js';
import { annotationMeta, kindBadge } from './annotationlist.js';
import { kindOf } from './kinds.js';

const SHOWN = 12;

/** Fills container with the feed. onSelect(id) selects an annotation. Returns {update(list, selected)}. */
export function createFeed(container, t, { kinds, sectors, onSelect }) {
  const p = t.workshop.projection;
  const title = el('h2', 'pj-feed__title', p.feed);
  title.id = 'feed-title';
  const ol = el('ol', 'pj-feed__list');
  ol.setAttribute('aria-labelledby', 'feed-title');
  ol.setAttribute('aria-live', 'polite');
  const empty = el('p', 'pj-feed__empty', p.feedEmpty);
  container.replaceChildren(title, empty, ol);

  return {
    /** Shows list (newest first), marking the selected annotation. */
    update(list, selected) {
      const sorted = [...list.filter((a) => a.pinned), ...list.filter((a) => !a.pinned)].slice(0, SHOWN);
      empty.hidden = sorted.length > 0;
      ol.replaceChildren(
        ...sorted.map((a) => {
          const kind = kindOf(kinds, a.kind);
          const li = el('li', 'pj-feed__item');
          li.dataset.id = String(a.id);
          li.dataset.state = a.state;
          li.style.setProperty('--kind-color', kind.color);
          const b = button('pj-feed__button');
          b.setAttribute('aria-pressed', String(a.id === selected));
          const head = el('span', 'pj-feed__head');
          head.append(kindBadge(kind));
          if (a.pinned) head.append(el('span', 'wlist__pinned', p.pinned));
          if (a.state === 'hidden') head.append(el('span', 'pj-feed__hidden', p.hidden));
          if (a.votes > 0) head.append(el('span', 'pj-feed__votes', t.workshop.votes(a.votes)));
          b.append(head, el('span', 'pj-feed__text', a.text ?? ''), el('span', 'pj-feed__meta', annotationMeta(a, sectors, t)));
          b.addEventListener('click', () => onSelect(a.id));
          li.append(b);
          return li;
        }),
      );
    },
  };
}
