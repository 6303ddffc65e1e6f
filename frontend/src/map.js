// The Leaflet map: basemap, actor markers, popups.

import L from 'leaflet';
import { actorCard } from './card.js';
import { actorColor } from './sectors.js';

const FRANCE = { center: [46.6, 2.4], zoom: 6 };

const escapeHTML = (s) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

/** Returns [lat, lng] of a GeoJSON Point feature, or null. */
function latLngOf(feature) {
  const g = feature?.geometry;
  if (!g || g.type !== 'Point' || !Array.isArray(g.coordinates)) return null;
  const [lng, lat] = g.coordinates;
  if (!Number.isFinite(lat) || !Number.isFinite(lng)) return null;
  if (lat < -90 || lat > 90 || lng < -180 || lng > 180) return null;
  return [lat, lng];
}

/**
 * Creates the map in container. onBasemapError is called once, the first
 * time a basemap tile fails to load; onActorSelect with the marker of an
 * actor clicked.
 */
export function createMap(container, config, t, { onBasemapError, onActorSelect } = {}) {
  const map = L.map(container, {
    zoomControl: false,
    attributionControl: false,
    center: FRANCE.center,
    zoom: FRANCE.zoom,
    preferCanvas: true,
  });
  container.setAttribute('role', 'region');
  container.setAttribute('aria-label', t.mapLabel);

  L.control.zoom({ zoomInTitle: t.zoomIn, zoomOutTitle: t.zoomOut }).addTo(map);
  const attribution = L.control
    .attribution({ prefix: '<a href="https://leafletjs.com">Leaflet</a>' })
    .addTo(map);

  const basemapAttribution = config.basemapAttribution
    ? escapeHTML(config.basemapAttribution)
    : t.osmAttribution;
  const basemap = L.tileLayer(config.basemapURL, {
    maxZoom: 19,
    attribution: basemapAttribution,
  }).addTo(map);
  let basemapFailed = false;
  basemap.on('tileerror', () => {
    if (basemapFailed) return;
    basemapFailed = true;
    onBasemapError?.();
  });

  map.on('popupopen', (e) => {
    const close = e.popup.getElement()?.querySelector('.leaflet-popup-close-button');
    if (close) {
      close.setAttribute('aria-label', t.closePopup);
      close.title = t.closePopup;
    }
  });

  const renderer = L.canvas({ padding: 0.5 });
  let actors = null;

  return {
    map,

    /**
     * Draws the actors of a FeatureCollection, replacing any drawn before,
     * and fits the view to them. Returns the features drawn (those with a
     * valid point).
     */
    showActors(fc, sectors) {
      actors?.remove();
      actors = L.featureGroup();
      const bounds = L.latLngBounds([]);
      const drawn = [];
      for (const feature of fc.features) {
        const latLng = latLngOf(feature);
        if (!latLng) continue;
        const marker = L.circleMarker(latLng, {
          renderer,
          radius: 6,
          weight: 1.5,
          color: '#ffffff',
          fillColor: actorColor(feature.properties, sectors),
          fillOpacity: 0.9,
        });
        marker.feature = feature;
        actors.addLayer(marker);
        bounds.extend(latLng);
        drawn.push(feature);
      }
      actors.bindPopup((layer) => actorCard(layer.feature.properties ?? {}, sectors, t), {
        maxWidth: 320,
        autoPanPadding: [24, 24],
      });
      actors.on('click', (e) => onActorSelect?.(e.layer));
      actors.addTo(map);
      if (bounds.isValid()) map.fitBounds(bounds, { padding: [24, 24], maxZoom: 13 });
      return drawn;
    },

    /** Adds a data source credit, given as plain text, to the attribution. */
    addDataAttribution(text) {
      if (typeof text === 'string' && text.trim() !== '') {
        attribution.addAttribution(escapeHTML(text.trim()));
      }
    },
  };
}
