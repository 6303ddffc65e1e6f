// The embedded map (?embed=1): the options its URL gives (legend,
// search, locked sectors, "Voir la carte complète"), laid over the map.

import L from 'leaflet';
import { el } from './dom.js';

/**
 * Moves the legend (the node legendEl) into a folding box over the top
 * right of the map, open when the map is wide enough to show it beside
 * the actors.
 */
export function addEmbedLegend(map, legendEl, t) {
  const Legend = L.Control.extend({
    onAdd() {
      const box = el('details', 'embed-legend');
      box.open = map.getSize().x >= 560 && map.getSize().y >= 360;
      box.append(el('summary', 'embed-legend__summary', t.embed.legend), legendEl);
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      return box;
    },
  });
  new Legend({ position: 'topright' }).addTo(map);
}

/**
 * Makes the legend in container a key of its sectors that visitors cannot
 * change: every box ticked and disabled, no "Tout afficher" or "Tout
 * masquer", and a hint that says so.
 */
export function lockLegend(container, t) {
  container.classList.add('legend--locked');
  for (const box of container.querySelectorAll('input[type="checkbox"]')) {
    box.checked = true;
    box.disabled = true;
  }
  const hint = container.querySelector('.legend__hint');
  if (hint) hint.textContent = t.embed.lockedHint;
  container.querySelector('.legend__actions')?.remove();
}

/** Adds the "Voir la carte complète" link at the bottom left; returns it. */
export function addFullMapLink(map, t) {
  let link = null;
  const FullMap = L.Control.extend({
    onAdd() {
      link = L.DomUtil.create('a', 'full-map-link leaflet-bar');
      link.textContent = t.fullMap;
      link.target = '_blank';
      link.rel = 'noopener';
      return link;
    },
  });
  new FullMap({ position: 'bottomleft' }).addTo(map);
  return link;
}
