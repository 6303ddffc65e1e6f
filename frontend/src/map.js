// The Leaflet map: raster basemap, the actors' vector tiles, the selected
// actor's marker and the reader's position.

import L from 'leaflet';
import { createActorTiles } from './actortiles.js';
import { addBasemapSwitch } from './basemap.js';

export const FRANCE = { center: [46.6, 2.4], zoom: 6 };
const MAX_ZOOM = 19;
const TILE_MAX_ZOOM = 16;

const escapeHTML = (s) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

/** Names a Leaflet marker for assistive technology (never "Marker"). */
function nameMarker(marker, label) {
  const el = marker.getElement();
  if (!el) return;
  // A div may carry a name only with a role (axe: aria-prohibited-attr).
  if (el.tagName !== 'IMG') el.setAttribute('role', 'img');
  el.setAttribute('aria-label', label);
  el.setAttribute('title', label);
  if (el.tagName === 'IMG') el.alt = label;
}

/**
 * Creates the map in container. sectors is the sector index, visible the
 * Set of sector slugs shown. Callbacks: onBasemapError (once, when a base
 * map tile fails), onActorClick({id, name, latlng}), onTiles (a tile was
 * loaded), onMove (the view changed), ignoreClick() (true while another
 * tool, such as placing a workshop annotation, takes the map's clicks).
 */
export function createMap(
  container,
  config,
  t,
  { sectors, visible, onBasemapError, onActorClick, onTiles, onMove, ignoreClick },
) {
  const map = L.map(container, {
    zoomControl: false,
    attributionControl: false,
    center: FRANCE.center,
    zoom: FRANCE.zoom,
    maxZoom: MAX_ZOOM,
  });
  container.setAttribute('role', 'region');
  container.setAttribute('aria-label', t.mapLabel);
  container.setAttribute('aria-description', t.mapHint);

  L.control.zoom({ zoomInTitle: t.zoomIn, zoomOutTitle: t.zoomOut }).addTo(map);
  const attribution = L.control
    .attribution({ prefix: '<a href="https://leafletjs.com">Leaflet</a>' })
    .addTo(map);

  const basemap = L.tileLayer(config.basemapURL, {
    maxZoom: MAX_ZOOM,
    attribution: config.basemapAttribution ? escapeHTML(config.basemapAttribution) : t.osmAttribution,
  }).addTo(map);
  const basemapSwitch = addBasemapSwitch(map, basemap, t);
  let basemapFailed = false;
  basemap.on('tileerror', () => {
    if (basemapFailed) return;
    basemapFailed = true;
    basemapSwitch.use(true); // the territory tiles instead of a grey map
    onBasemapError?.();
  });

  const actors = createActorTiles({
    sectors,
    visible,
    actorZoom: config.actorZoom,
    maxZoom: TILE_MAX_ZOOM,
    onLoad: () => onTiles?.(),
  }).addTo(map);

  map.on('click', (e) => {
    if (ignoreClick?.()) return;
    const hit = actors.hit(e.latlng);
    if (!hit) return;
    if (hit.cluster) {
      // Below the actor zoom, towards it; from it (a dense place), two zooms in.
      const z = map.getZoom();
      const to = z < config.actorZoom ? Math.min(Math.max(z + 2, 8), config.actorZoom) : Math.min(z + 2, map.getMaxZoom());
      map.setView(hit.latlng, to, { animate: true });
    } else {
      onActorClick?.(hit);
    }
  });
  map.on('mousemove', (e) => {
    container.classList.toggle('map--pointer', !ignoreClick?.() && actors.hit(e.latlng) !== null);
  });
  map.on('moveend', () => onMove?.());

  let selected = null;
  let position = null;

  return {
    map,
    actors,

    /** Marks the selected actor's place (null: none). */
    select(actor) {
      selected?.remove();
      selected = null;
      if (!actor?.latlng) return;
      selected = L.marker(actor.latlng, {
        icon: L.divIcon({ className: 'selected-marker', iconSize: [30, 30] }),
        keyboard: false,
        interactive: false,
        title: t.selectedLabel(actor.name),
        alt: t.selectedLabel(actor.name),
      }).addTo(map);
      nameMarker(selected, t.selectedLabel(actor.name));
    },

    /** Shows the reader's position. */
    showPosition(latlng) {
      position?.remove();
      position = L.marker(latlng, {
        icon: L.divIcon({ className: 'position-marker', iconSize: [18, 18] }),
        keyboard: false,
        interactive: false,
        title: t.positionLabel,
        alt: t.positionLabel,
      }).addTo(map);
      nameMarker(position, t.positionLabel);
    },

    /** Adds a data source credit, given as plain text, to the attribution. */
    addDataAttribution(text) {
      if (typeof text === 'string' && text.trim() !== '') {
        attribution.addAttribution(escapeHTML(text.trim()));
      }
    },
  };
}
