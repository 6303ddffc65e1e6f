// The table of communes of the coverage view: weakest coverage first, each
// column sortable with a button in its header (aria-sort says the order).

import { el } from './dom.js';

/**
 * Fills container with a table of items (coverage items of communes).
 * radius is the radius in km; t the coverage strings.
 */
export function renderCoverageTable(container, items, { name, radius }, t, formatNumber) {
  const c = t.columns;
  const columns = [
    { key: 'name', label: c.name, value: (it) => it.name, show: (it) => it.name, text: true },
    { key: 'population', label: c.population, value: (it) => it.population ?? -1, show: (it) => (it.population == null ? t.unknown : formatNumber(it.population)) },
    { key: 'actors', label: c.actors, value: (it) => it.actors, show: (it) => formatNumber(it.actors) },
    { key: 'per10k', label: c.per10k, value: (it) => it.per_10k ?? -1, show: (it) => (it.per_10k == null ? '—' : t.per10k(it.per_10k)) },
    { key: 'nearest', label: c.nearest, value: (it) => it.nearest_km ?? Infinity, show: (it) => (it.nearest_km == null ? '—' : t.km(it.nearest_km)) },
    { key: 'zoneBlanche', label: c.zoneBlanche, value: (it) => (it.zone_blanche ? 1 : 0), show: (it) => (it.zone_blanche ? t.yes : t.no) },
  ];
  let rows = items.slice();
  let sorted = null; // {key, dir}

  const table = el('table', 'cov-table');
  const caption = el('caption', null, t.tableCaption(name));
  const thead = el('thead');
  const headRow = el('tr');
  const tbody = el('tbody');
  table.append(caption, thead, tbody);
  thead.append(headRow);

  const ths = columns.map((col) => {
    const th = el('th');
    th.scope = 'col';
    th.dataset.key = col.key;
    if (!col.text) th.className = 'num';
    const button = el('button', 'cov-sort', col.label);
    button.type = 'button';
    button.addEventListener('click', () => {
      const dir = sorted?.key === col.key && sorted.dir === 'ascending' ? 'descending' : 'ascending';
      sorted = { key: col.key, dir };
      const sign = dir === 'ascending' ? 1 : -1;
      rows = items.slice().sort((a, b) => {
        const va = col.value(a);
        const vb = col.value(b);
        const d = col.text ? String(va).localeCompare(String(vb), 'fr') : va - vb;
        return sign * d || a.code.localeCompare(b.code);
      });
      draw();
    });
    th.append(button);
    headRow.append(th);
    return th;
  });

  function draw() {
    for (const th of ths) {
      if (sorted?.key === th.dataset.key) th.setAttribute('aria-sort', sorted.dir);
      else th.removeAttribute('aria-sort');
    }
    tbody.replaceChildren(
      ...rows.map((it) => {
        const tr = el('tr');
        tr.dataset.code = it.code;
        if (it.zone_blanche) tr.className = 'cov-row--zb';
        columns.forEach((col, i) => {
          const cell = el(i === 0 ? 'th' : 'td', col.text ? null : 'num', col.show(it, radius));
          if (i === 0) cell.scope = 'row';
          tr.append(cell);
        });
        return tr;
      }),
    );
  }
  draw();
  container.replaceChildren(table);
}
