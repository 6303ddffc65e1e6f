// The first view and the overseas territories: the map opens on mainland
// France when the actors are there, and a control jumps to each overseas
// territory that has actors.

import L from 'leaflet';
import { listActors } from './api.js';
import { el } from './dom.js';

/** Mainland France and Corsica, [south, west, north, east]. */
export const MAINLAND = [41.3, -5.3, 51.15, 9.6];

/** Overseas territories: name key and [south, west, north, east]. */
const OVERSEAS = [
  ['guadeloupe', [15.8, -61.85, 16.55, -60.95]],
  ['martinique', [14.35, -61.25, 14.9, -60.8]],
  ['guyane', [2.1, -54.65, 5.8, -51.6]],
  ['reunion', [-21.4, 55.2, -20.85, 55.85]],
  ['mayotte', [-13.05, 44.95, -12.6, 45.35]],
  ['saintPierre', [46.7, -56.45, 47.15, -56.1]],
  ['saintMartin', [17.85, -63.2, 18.15, -62.75]],
  ['nouvelleCaledonie', [-22.8, 163.5, -19.5, 168.2]],
  ['polynesie', [-18.0, -150.0, -16.4, -149.0]],
];

const bbox = ([s, w, n, e]) => [w, s, e, n].join(',');

/**
 * Returns the first view's bounds for the data's bounds [w, s, e, n]: the
 * part in mainland France when there is one and the data go beyond it,
 * else the data's bounds.
 */
export function firstBounds([w, s, e, n]) {
  const [ms, mw, mn, me] = MAINLAND;
  const overlaps = w < me && e > mw && s < mn && n > ms;
  if (!overlaps) return [[s, w], [n, e]];
  return [
    [Math.max(s, ms), Math.max(w, mw)],
    [Math.min(n, mn), Math.min(e, me)],
  ];
}

/**
 * Adds to map the control that jumps to mainland France and to each
 * overseas territory with actors (counted when the control is first
 * opened).
 */
export function addTerritoryControl(map, t) {
  const Control = L.Control.extend({
    onAdd() {
      const box = el('details', 'territories leaflet-bar');
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      const summary = el('summary', 'territories__summary', t.territories.title);
      const list = el('ul', 'territories__list');
      box.append(summary, list);
      const item = (key, bounds) => {
        const b = el('button', 'territories__item', t.territories.names[key]);
        b.type = 'button';
        b.dataset.territory = key;
        b.addEventListener('click', () => {
          map.fitBounds([[bounds[0], bounds[1]], [bounds[2], bounds[3]]], { animate: false });
          box.open = false;
        });
        const li = el('li');
        li.append(b);
        return li;
      };
      list.append(item('metropole', MAINLAND));
      let counted = false;
      box.addEventListener('toggle', async () => {
        if (!box.open || counted) return;
        counted = true;
        const found = await Promise.all(
          OVERSEAS.map(([, b]) =>
            listActors({ bbox: bbox(b), limit: '1' })
              .then((p) => p.total)
              .catch(() => 0),
          ),
        );
        OVERSEAS.forEach(([key, b], i) => {
          if (found[i] > 0) list.append(item(key, b));
        });
        box.dataset.ready = 'true';
      });
      return box;
    },
  });
  new Control({ position: 'topright' }).addTo(map);
}
