// The map of a workshop page, opened on the workshop's territory, whose
// zone is outlined. The participant's and the animator's pages draw the
// directory's actors by sector on it, as the main map does (map.js); the
// record and the keepers' form have the base map alone, and so do not
// load the vector tiles' code.

import L from 'leaflet';

const escapeHTML = (s) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

/** Names a workshop's map for assistive technology. */
export function labelMap(container, t) {
  container.setAttribute('role', 'region');
  container.setAttribute('aria-label', t.workshop.mapLabel);
  container.setAttribute('aria-description', t.workshop.mapHint);
}

/** Creates a map with the base map only (the record, the keepers' form). */
export function createPlainMap(container, config, t, { zoomControl = true } = {}) {
  const map = L.map(container, { zoomControl: false, attributionControl: false, center: [46.6, 2.4], zoom: 6, maxZoom: 19 });
  if (zoomControl) L.control.zoom({ zoomInTitle: t.zoomIn, zoomOutTitle: t.zoomOut }).addTo(map);
  const attribution = L.control.attribution({ prefix: '<a href="https://leafletjs.com">Leaflet</a>' }).addTo(map);
  L.tileLayer(config.basemapURL, {
    maxZoom: 19,
    attribution: config.basemapAttribution ? escapeHTML(config.basemapAttribution) : t.osmAttribution,
  }).addTo(map);
  labelMap(container, t);
  return {
    map,
    addDataAttribution(text) {
      if (typeof text === 'string' && text.trim() !== '') attribution.addAttribution(escapeHTML(text.trim()));
    },
  };
}

/** The Leaflet bounds of a workshop's territory, or null. */
export function territoryBounds(workshop) {
  const b = workshop?.bbox;
  if (!Array.isArray(b) || b.length !== 4 || !b.every(Number.isFinite)) return null;
  const [w, s, e, n] = b;
  return L.latLngBounds([s, w], [n, e]);
}

/** Opens map on the workshop's territory and outlines its zone, if it has one. */
export function showTerritory(map, workshop, { padding = 16 } = {}) {
  const bounds = territoryBounds(workshop);
  if (bounds?.isValid()) map.fitBounds(bounds, { padding: [padding, padding] });
  if (workshop?.zone?.type === 'Polygon') {
    L.geoJSON(workshop.zone, {
      interactive: false,
      style: () => ({ color: '#0f172a', weight: 3, dashArray: '10 8', fill: false }),
    }).addTo(map);
  }
}
