// The legend: sectors present on the map, with colour, icon, label, count.

import L from 'leaflet';
import { actorSectors } from './sectors.js';

const NO_SECTOR = { slug: '', label: '', color: '#6b7280', icon: '', position: Infinity };

/**
 * Counts actors per sector. An actor in several sectors counts in each;
 * an actor with no known sector counts under NO_SECTOR.
 */
export function countBySector(features, sectors) {
  const counts = new Map();
  for (const f of features) {
    const known = actorSectors(f.properties).filter((slug) => sectors.has(slug));
    const keys = known.length > 0 ? new Set(known) : [''];
    for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return counts;
}

function legendContent(counts, sectors, t) {
  const details = document.createElement('details');
  details.className = 'legend';
  details.open = !window.matchMedia('(max-width: 40rem)').matches;

  const summary = document.createElement('summary');
  summary.textContent = t.legendTitle;
  details.append(summary);

  const rows = [...counts.entries()]
    .map(([slug, n]) => ({ sector: slug ? sectors.get(slug) : { ...NO_SECTOR, label: t.noSector }, n }))
    .sort((a, b) => a.sector.position - b.sector.position);

  const list = document.createElement('ul');
  for (const { sector, n } of rows) {
    const li = document.createElement('li');
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    swatch.setAttribute('aria-hidden', 'true');
    swatch.style.backgroundColor = sector.color;
    const icon = document.createElement('span');
    icon.className = 'legend__icon';
    icon.setAttribute('aria-hidden', 'true');
    icon.textContent = sector.icon;
    const label = document.createElement('span');
    label.className = 'legend__label';
    label.textContent = sector.label;
    const count = document.createElement('span');
    count.className = 'legend__count';
    count.textContent = t.legendCount(n);
    li.append(swatch, icon, label, count);
    list.append(li);
  }
  details.append(list);
  return details;
}

/** Returns a Leaflet control listing the sectors present in features. */
export function createLegend(features, sectors, t) {
  const counts = countBySector(features, sectors);
  const control = L.control({ position: 'bottomright' });
  control.onAdd = () => {
    const container = L.DomUtil.create('div', 'leaflet-control legend-control');
    container.append(legendContent(counts, sectors, t));
    L.DomEvent.disableClickPropagation(container);
    L.DomEvent.disableScrollPropagation(container);
    return container;
  };
  return control;
}
