// The legend: every sector with its colour, icon, label and the number of
// actors in view, each with a checkbox that shows or hides it on the map
// and in the list at once.

import { clusterDisc } from './clusters.js';
import { sectorBadge } from './sectors.js';
import { el } from './dom.js';

/**
 * Fills container with the legend of sectors (index by slug, in order).
 * visible is the Set of shown slugs, changed in place; onChange is called
 * after each change. Returns {setCounts(Map slug -> n)}.
 */
export function createLegend(container, sectors, visible, t, onChange) {
  const fieldset = el('fieldset', 'legend');
  fieldset.append(el('legend', 'legend__title', t.legendTitle));
  const hint = el('p', 'legend__hint', t.legendHint);
  hint.id = 'legend-hint';
  fieldset.append(hint);

  const counts = new Map();
  const boxes = new Map();
  const list = el('ul', 'legend__list');
  for (const s of [...sectors.values()].sort((a, b) => a.position - b.position)) {
    const li = el('li', 'legend__item');
    const label = el('label');
    const box = el('input');
    box.type = 'checkbox';
    box.name = 'secteur';
    box.value = s.slug;
    box.checked = visible.has(s.slug);
    box.setAttribute('aria-describedby', 'legend-hint');
    box.addEventListener('change', () => {
      if (box.checked) visible.add(s.slug);
      else visible.delete(s.slug);
      onChange();
    });
    boxes.set(s.slug, box);
    const badge = sectorBadge(s);
    const count = el('span', 'legend__count', '');
    counts.set(s.slug, count);
    label.append(box, badge, el('span', 'legend__label', s.label), count);
    li.append(label);
    list.append(li);
  }
  fieldset.append(list);

  // How to read a cluster, with a sample disc of the first three sectors.
  const sample = [...sectors.values()].sort((a, b) => a.position - b.position).slice(0, 3);
  if (sample.length > 0) {
    const key = el('p', 'legend__clusters');
    const shares = sample.map((s, i) => [s, [5, 3, 2][i]]);
    key.append(clusterDisc(10, shares, 16), el('span', null, t.legendClusters));
    fieldset.append(key);
  }

  const actions = el('p', 'legend__actions');
  for (const [text, all] of [
    [t.legendAll, true],
    [t.legendNone, false],
  ]) {
    const b = el('button', 'link-button', text);
    b.type = 'button';
    b.addEventListener('click', () => {
      for (const [slug, box] of boxes) {
        box.checked = all;
        if (all) visible.add(slug);
        else visible.delete(slug);
      }
      onChange();
    });
    actions.append(b);
  }
  fieldset.append(actions);
  container.replaceChildren(fieldset);

  return {
    /** Shows only the sector slug (a search proposed it). */
    only(slug) {
      for (const [s, box] of boxes) {
        box.checked = s === slug;
        if (s === slug) visible.add(s);
        else visible.delete(s);
      }
    },

    /**
     * Shows the actors in view of each ticked sector (byslug: Map slug ->
     * n); the tiles of the ticked sectors hold no count of the others.
     */
    setCounts(byslug) {
      for (const [slug, node] of counts) {
        if (!visible.has(slug)) {
          node.textContent = '';
          node.removeAttribute('title');
          delete node.dataset.count;
          continue;
        }
        const n = byslug.get(slug) ?? 0;
        node.textContent = t.legendCount(n);
        node.title = t.legendCountLabel(n);
        node.dataset.count = String(n);
      }
    },
  };
}
