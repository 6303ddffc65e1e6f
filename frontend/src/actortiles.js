// The actors' vector tiles (/tiles/actors/{z}/{x}/{y}.mvt, one layer per
// sector) drawn by protomaps-leaflet. Tiles are fetched here, once: the
// same bytes feed protomaps-leaflet's renderer and an index of the points
// of each loaded tile, which answers clicks (the nearest feature) and the
// legend's counts of actors in view.

import L from 'leaflet';
import { VectorTile } from '@mapbox/vector-tile';
import Pbf from 'pbf';
import { leafletLayer } from 'protomaps-leaflet';
import { inkOn } from './sectors.js';
import { root } from './urlstate.js';

const MAX_TILES = 256; // tiles kept in the index
const HIT_PX = 12; // how far from a point a click still hits it

/** Formats a cluster count in at most four characters (1 234 -> 1,2k). */
function shortCount(n) {
  if (n < 1000) return String(n);
  if (n < 10000) return `${(n / 1000).toFixed(1).replace('.', ',')}k`;
  return `${Math.round(n / 1000)}k`;
}

/** Radius in CSS pixels of a point: single actors are small, clusters grow with their count. */
export function radiusOf(count) {
  return count > 1 ? Math.min(26, 10 + 4 * Math.log10(count)) : 7;
}

// A protomaps-leaflet paint symbolizer: a disc in the sector's colour with
// a white ring; clusters carry their count in the middle.
class ActorSymbolizer {
  constructor(color) {
    this.color = color;
    this.ink = inkOn(color);
  }

  draw(ctx, geom, z, feature) {
    const count = Number(feature.props.count) || 1;
    const r = radiusOf(count);
    for (const ring of geom) {
      for (const p of ring) {
        ctx.beginPath();
        ctx.arc(p.x, p.y, r, 0, 2 * Math.PI);
        ctx.fillStyle = this.color;
        ctx.globalAlpha = 0.92;
        ctx.fill();
        ctx.globalAlpha = 1;
        ctx.lineWidth = 2;
        ctx.strokeStyle = '#ffffff';
        ctx.stroke();
        if (count > 1) {
          ctx.fillStyle = this.ink;
          ctx.font = '700 11px system-ui, sans-serif';
          ctx.textAlign = 'center';
          ctx.textBaseline = 'middle';
          ctx.fillText(shortCount(count), p.x, p.y + 0.5);
        }
      }
    }
  }
}

// Web Mercator: tile pixel (0..extent) of tile z/x/y -> [lat, lng].
function tilePointToLatLng(z, x, y, px, py, extent) {
  const n = 2 ** z;
  const lng = ((x + px / extent) / n) * 360 - 180;
  const yy = Math.PI * (1 - (2 * (y + py / extent)) / n);
  return [(Math.atan(Math.sinh(yy)) * 180) / Math.PI, lng];
}

/** Decodes an MVT into [{layer, lat, lng, props, id}] (points only). */
function indexTile(z, x, y, buffer) {
  const out = [];
  if (!buffer || buffer.byteLength === 0) return out;
  const tile = new VectorTile(new Pbf(new Uint8Array(buffer)));
  for (const [name, layer] of Object.entries(tile.layers)) {
    for (let i = 0; i < layer.length; i++) {
      const f = layer.feature(i);
      if (f.type !== 1) continue;
      for (const ring of f.loadGeometry()) {
        for (const p of ring) {
          if (p.x < 0 || p.y < 0 || p.x > layer.extent || p.y > layer.extent) continue; // buffer
          const [lat, lng] = tilePointToLatLng(z, x, y, p.x, p.y, layer.extent);
          out.push({ layer: name, lat, lng, props: f.properties, id: f.id });
        }
      }
    }
  }
  return out;
}

/**
 * Creates the actors' layer. sectors is the index of sectors (slug ->
 * {color}); visible a Set of the slugs shown. actorZoom is the first zoom
 * of single actors. onLoad is called after each tile is indexed.
 */
export function createActorTiles({ sectors, visible, actorZoom, maxZoom, onLoad }) {
  const index = new Map(); // "z/x/y" -> points
  let reloaded = false;
  let hiddenId = null;
  let layer = null;
  let map = null;

  const source = {
    // The PMTiles-like interface protomaps-leaflet accepts as a source.
    async getZxy(z, x, y, signal) {
      const url = new URL(`tiles/actors/${z}/${x}/${y}.mvt`, root);
      // After a reload, ask the server again (If-None-Match) rather than
      // take a tile the browser keeps: the ETag names the data version.
      const res = await fetch(url, { signal, cache: reloaded ? 'no-cache' : 'default' });
      if (res.status === 204) {
        index.set(`${z}/${x}/${y}`, []);
        onLoad?.();
        return undefined;
      }
      if (!res.ok) throw new Error(`GET ${url.pathname}: HTTP ${res.status}`);
      const data = await res.arrayBuffer();
      index.delete(`${z}/${x}/${y}`);
      index.set(`${z}/${x}/${y}`, indexTile(z, x, y, data));
      while (index.size > MAX_TILES) index.delete(index.keys().next().value);
      onLoad?.();
      return { data };
    },
  };

  const paintRules = [...sectors.values()].map((s) => ({
    dataLayer: s.slug,
    symbolizer: new ActorSymbolizer(s.color),
    filter: (z, f) => visible.has(s.slug) && (hiddenId === null || f.props.id !== hiddenId),
  }));

  function makeLayer() {
    return leafletLayer({
      url: source,
      levelDiff: 0,
      maxDataZoom: maxZoom,
      paintRules,
      labelRules: [],
      attribution: '',
      pane: 'overlayPane',
    });
  }

  /** The indexed points of the tiles at zoom z that intersect bounds. */
  function pointsIn(bounds, z) {
    const n = 2 ** z;
    const tx = (lng) => Math.floor(((lng + 180) / 360) * n);
    const ty = (lat) => {
      const r = (Math.max(-85.05, Math.min(85.05, lat)) * Math.PI) / 180;
      return Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n);
    };
    const out = [];
    const [x0, x1] = [tx(bounds.getWest()), tx(bounds.getEast())];
    const [y0, y1] = [ty(bounds.getNorth()), ty(bounds.getSouth())];
    for (let x = Math.max(0, x0); x <= Math.min(n - 1, x1); x++) {
      for (let y = Math.max(0, y0); y <= Math.min(n - 1, y1); y++) {
        for (const p of index.get(`${z}/${x}/${y}`) ?? []) {
          if (bounds.contains([p.lat, p.lng])) out.push(p);
        }
      }
    }
    return out;
  }

  const dataZoom = () => Math.min(maxZoom, Math.max(0, Math.round(map.getZoom())));

  return {
    addTo(m) {
      map = m;
      // protomaps-leaflet extends the global L.GridLayer when a layer is made.
      globalThis.L = globalThis.L ?? L;
      layer = makeLayer().addTo(map);
      return this;
    },

    /** Whether some tile of the current zoom is in. */
    loaded() {
      const z = `${dataZoom()}/`;
      for (const k of index.keys()) if (k.startsWith(z)) return true;
      return false;
    },

    /** Redraws the loaded tiles with the current sector visibility. */
    redraw() {
      layer?.rerenderTiles();
    },

    /** Drops every tile and fetches them again (after an actor moved). */
    reload() {
      reloaded = true;
      index.clear();
      layer?.remove();
      layer = makeLayer().addTo(map);
    },

    /** Hides one actor (while its marker is dragged); null shows all. */
    hide(id) {
      hiddenId = id;
      this.redraw();
    },

    /**
     * Returns the visible point nearest to the container point pt within
     * a few pixels: {cluster: true, count, latlng} or {id, name, sector, latlng}.
     */
    hit(latlng) {
      const z = dataZoom();
      const pt = map.latLngToContainerPoint(latlng);
      const near = map.containerPointToLatLng(pt.add([HIT_PX + 26, HIT_PX + 26]));
      const far = map.containerPointToLatLng(pt.subtract([HIT_PX + 26, HIT_PX + 26]));
      let best = null;
      let bestD = Infinity;
      for (const p of pointsIn(L.latLngBounds(near, far), z)) {
        if (!visible.has(p.layer)) continue;
        const count = Number(p.props.count) || 1;
        const d = map.latLngToContainerPoint([p.lat, p.lng]).distanceTo(pt);
        if (d <= radiusOf(count) + HIT_PX / 2 && d < bestD) {
          best = p;
          bestD = d;
        }
      }
      if (!best) return null;
      const latlng2 = L.latLng(best.lat, best.lng);
      if (Number(best.props.count) > 1 || z < actorZoom) {
        return { cluster: true, count: Number(best.props.count) || 1, latlng: latlng2 };
      }
      return { id: Number(best.props.id ?? best.id), name: String(best.props.name ?? ''), sector: best.layer, latlng: latlng2 };
    },

    /**
     * Counts the actors of each sector in the map's view, from the loaded
     * tiles (clusters count their members at their centroid).
     */
    countInView() {
      const counts = new Map();
      for (const p of pointsIn(map.getBounds(), dataZoom())) {
        counts.set(p.layer, (counts.get(p.layer) ?? 0) + (Number(p.props.count) || 1));
      }
      return counts;
    },

    /** The slugs of the visible sectors with points in view (for tests and the legend). */
    drawnSectors() {
      const counts = this.countInView();
      return [...counts.keys()].filter((s) => visible.has(s)).sort();
    },
  };
}
