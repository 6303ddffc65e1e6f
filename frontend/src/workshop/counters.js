// The number of visible annotations of each kind, in large type.

import { el } from '../dom.js';
import { isVisible } from './annotations.js';

/** Fills container with one counter per kind. Returns {update(list)}. */
export function createCounters(container, t, kinds) {
  const title = el('h2', 'visually-hidden', t.workshop.projection.counters);
  const ul = el('ul', 'pj-counters__list');
  const numbers = new Map();
  for (const k of kinds.values()) {
    const li = el('li', 'pj-counter');
    li.dataset.kind = k.slug;
    li.style.setProperty('--kind-color', k.color);
    const icon = el('span', 'pj-counter__icon', k.icon);
    icon.setAttribute('aria-hidden', 'true');
    const n = el('span', 'pj-counter__n', '0');
    li.append(icon, n, el('span', 'pj-counter__label', k.label));
    numbers.set(k.slug, { li, n });
    ul.append(li);
  }
  container.replaceChildren(title, ul);
  return {
    update(list) {
      const counts = new Map();
      for (const a of list) if (isVisible(a)) counts.set(a.kind, (counts.get(a.kind) ?? 0) + 1);
      for (const [slug, { li, n }] of numbers) {
        const v = counts.get(slug) ?? 0;
        n.textContent = String(v);
        li.dataset.count = String(v);
      }
    },
  };
}
