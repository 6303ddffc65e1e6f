// The projection's filters: which kinds are shown (large toggle buttons)
// and one sector, or all. The sector also narrows the actors drawn.

import { button, el, labelFor } from '../dom.js';

/**
 * Fills container with the filters. onChange() is called after each
 * change. Returns {keep(annotation), sector()} to read them.
 */
export function createFilters(container, t, { kinds, sectors, focusSectors, onChange }) {
  const p = t.workshop.projection;
  const shown = new Set(kinds.keys());
  let sector = '';

  const title = el('h2', 'visually-hidden', p.filters);
  const group = el('div', 'pj-filters__kinds');
  group.setAttribute('role', 'group');
  group.setAttribute('aria-label', p.kindsLegend);
  for (const k of kinds.values()) {
    const b = button('pj-toggle');
    b.dataset.kind = k.slug;
    b.style.setProperty('--kind-color', k.color);
    b.setAttribute('aria-pressed', 'true');
    const icon = el('span', 'pj-toggle__icon', k.icon);
    icon.setAttribute('aria-hidden', 'true');
    b.append(icon, el('span', null, k.label));
    b.addEventListener('click', () => {
      if (shown.has(k.slug)) shown.delete(k.slug);
      else shown.add(k.slug);
      b.setAttribute('aria-pressed', String(shown.has(k.slug)));
      onChange();
    });
    group.append(b);
  }

  const select = el('select', 'field__input pj-filters__sector');
  select.id = 'filter-sector';
  select.append(new Option(p.allSectors, ''));
  const focus = new Set(focusSectors);
  const ordered = [...sectors.values()].sort((a, b) => Number(focus.has(b.slug)) - Number(focus.has(a.slug)) || a.position - b.position);
  for (const s of ordered) select.append(new Option(s.label, s.slug));
  select.addEventListener('change', () => {
    sector = select.value;
    onChange();
  });
  const sectorField = el('div', 'pj-filters__field');
  sectorField.append(labelFor('filter-sector', p.sectorLabel), select);
  container.replaceChildren(title, group, sectorField);

  return {
    keep: (a) => shown.has(a.kind) && (!sector || a.sector === sector),
    sector: () => sector,
  };
}
