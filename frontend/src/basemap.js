// The offline base map: the territory tiles (/tiles/territories/{z}/{x}/{y}.mvt)
// drawn by protomaps-leaflet under the actors: land (the départements),
// boundaries of départements, EPCI and communes, and their names. Used
// when the raster base map fails to load, and on purpose as the "fond
// sobre" (a clean map reads better on a projector).

import L from 'leaflet';
import { CenteredTextSymbolizer, LineSymbolizer, PolygonSymbolizer, leafletLayer } from 'protomaps-leaflet';
import { root } from './urlstate.js';

export const SEA = '#dbe7ee';
export const LAND = '#f7f5ef';
export const DEPARTEMENT_LINE = '#6b6355';
const EPCI_LINE = '#a39a86';
const COMMUNE_LINE = '#cdc5b3';

/** Returns a protomaps-leaflet layer of the territory tiles in pane. */
export function createTerritoryLayer({ pane = 'tilePane', maxZoom = 16, onLoad } = {}) {
  const source = {
    async getZxy(z, x, y, signal) {
      const url = new URL(`tiles/territories/${z}/${x}/${y}.mvt`, root);
      const res = await fetch(url, { signal });
      onLoad?.();
      if (res.status === 204) return undefined;
      if (!res.ok) throw new Error(`GET ${url.pathname}: HTTP ${res.status}`);
      return { data: await res.arrayBuffer() };
    },
  };
  // protomaps-leaflet extends the global L.GridLayer when a layer is made.
  globalThis.L = globalThis.L ?? L;
  return leafletLayer({
    url: source,
    levelDiff: 0,
    maxDataZoom: maxZoom,
    pane,
    backgroundColor: SEA,
    attribution: '',
    paintRules: [
      { dataLayer: 'departements', symbolizer: new PolygonSymbolizer({ fill: LAND, opacity: 1 }) },
      { dataLayer: 'communes', symbolizer: new LineSymbolizer({ color: COMMUNE_LINE, width: 0.7 }) },
      { dataLayer: 'epci', symbolizer: new LineSymbolizer({ color: EPCI_LINE, width: 1.2, dash: [4, 3] }) },
      { dataLayer: 'departements', symbolizer: new LineSymbolizer({ color: DEPARTEMENT_LINE, width: (z) => (z < 7 ? 1 : 1.8) }) },
    ],
    labelRules: [
      {
        dataLayer: 'labels',
        symbolizer: new CenteredTextSymbolizer({
          labelProps: ['name'],
          fill: '#3f3a30',
          stroke: '#ffffff',
          width: 2.5,
          font: (z, f) => (f?.props.level === 'departement' ? '600 13px system-ui, sans-serif' : '12px system-ui, sans-serif'),
        }),
      },
    ],
  });
}

/**
 * Adds the "fond sobre" switch to map: a button that swaps the raster base
 * map for the territory tiles. Returns {use(sober)} to switch from code
 * (when the raster fails). onChange(sober) is told of every switch.
 */
export function addBasemapSwitch(map, raster, t, onChange) {
  const container = map.getContainer();
  const sober = createTerritoryLayer();
  let on = false;
  const button = L.DomUtil.create('button', 'basemap-switch');
  button.type = 'button';
  const use = (value) => {
    on = value;
    if (on) {
      raster.remove();
      if (!map.hasLayer(sober)) sober.addTo(map);
    } else {
      sober.remove();
      if (!map.hasLayer(raster)) raster.addTo(map);
    }
    container.classList.toggle('map--sober', on);
    container.dataset.basemap = on ? 'territoires' : 'raster';
    button.textContent = on ? t.basemapRaster : t.basemapSober;
    button.setAttribute('aria-pressed', String(on));
    onChange?.(on);
  };
  L.DomEvent.disableClickPropagation(button);
  button.addEventListener('click', () => use(!on));
  const Control = L.Control.extend({ onAdd: () => button });
  new Control({ position: 'topright' }).addTo(map);
  use(false);
  return { use, sober: () => on };
}
