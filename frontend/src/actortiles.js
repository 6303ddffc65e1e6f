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
const SAME_PLACE_M = 5; // actors closer than this share one address

/**
 * The sectors of a tile point: an actor's "sectors" property (slugs joined
 * by commas, its primary first), else the layer it is in (clusters).
 */
export function pointSectors(p) {
  const s = p.props?.sectors;
  return typeof s === 'string' && s !== '' ? s.split(',') : [p.layer];
}

/** Formats a cluster count in at most four characters (1 234 -> 1,2k). */
function shortCount(n) {
  if (n < 1000) return String(n);
  if (n < 10000) return `${(n / 1000).toFixed(1).replace('.', ',')}k`;
  return `${Math.round(n / 1000)}k`;
}

/** Radius in CSS pixels of a point: single actors are small, clusters grow with their count. */
export function radiusOf(count) {
  return count > 1 ? Math.min(26, 10 + 4 * Math.log10(count)) : 9;
}

// A protomaps-leaflet paint symbolizer: a disc in the sector's colour with
// a white ring; clusters carry their count in the middle.
// Single actors carry their sector's pictogram.
class ActorSymbolizer {
  constructor(color, icon) {
    this.color = color;
    this.ink = inkOn(color);
    this.icon = icon ? new Path2D(icon) : null;
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
        if (count === 1 && this.icon && feature.props.count === undefined) {
          const size = 2 * r - 5; // the pictogram's box, in pixels
          ctx.save();
          ctx.translate(p.x - size / 2, p.y - size / 2);
          ctx.scale(size / 24, size / 24);
          ctx.fillStyle = this.ink;
          ctx.fill(this.icon, 'evenodd');
          ctx.restore();
        } else if (count > 1) {
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

  // An actor is drawn once, in its primary sector's layer and colour, and
  // kept while any of its sectors is shown.
  let filtered = false; // a text search draws its own markers
  const shown = (layer, props) => {
    if (filtered) return false;
    const s = props.sectors;
    if (typeof s !== 'string' || s === '') return visible.has(layer);
    return s.split(',').some((slug) => visible.has(slug));
  };
  const paintRules = [...sectors.values()].map((s) => ({
    dataLayer: s.slug,
    symbolizer: new ActorSymbolizer(s.color, s.icon),
    filter: (z, f) => shown(s.slug, f.props) && (hiddenId === null || f.props.id !== hiddenId),
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

    /** Hides every feature (true) while a text search shows its own markers. */
    setFiltered(on) {
      filtered = on;
      this.redraw();
    },

    /** Hides one actor (while its marker is dragged); null shows all. */
    hide(id) {
      hiddenId = id;
      this.redraw();
    },

    /**
     * Returns the visible point nearest to the container point pt within
     * a few pixels: {cluster: true, count, latlng} or {id, name, sector,
     * latlng, here}, where here lists every visible actor within a few
     * metres of it ({id, name, sector}), itself first.
     */
    hit(latlng) {
      const z = dataZoom();
      const pt = map.latLngToContainerPoint(latlng);
      const near = map.containerPointToLatLng(pt.add([HIT_PX + 26, HIT_PX + 26]));
      const far = map.containerPointToLatLng(pt.subtract([HIT_PX + 26, HIT_PX + 26]));
      let best = null;
      let bestD = Infinity;
      for (const p of pointsIn(L.latLngBounds(near, far), z)) {
        if (!shown(p.layer, p.props)) continue;
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
      const one = (p) => ({ id: Number(p.props.id ?? p.id), name: String(p.props.name ?? ''), sector: p.layer });
      const here = [one(best)];
      const seen = new Set(here.map((a) => a.id));
      for (const p of pointsIn(L.latLngBounds(near, far), z)) {
        if (!shown(p.layer, p.props) || Number(p.props.count) > 1) continue;
        const a = one(p);
        if (seen.has(a.id) || latlng2.distanceTo([p.lat, p.lng]) > SAME_PLACE_M) continue;
        seen.add(a.id);
        here.push(a);
      }
      return { ...one(best), latlng: latlng2, here };
    },

    /**
     * Counts the actors of each sector in the map's view, from the loaded
     * tiles (clusters count their members at their centroid).
     */
    countInView() {
      const counts = new Map();
      for (const p of pointsIn(map.getBounds(), dataZoom())) {
        for (const slug of pointSectors(p)) {
          counts.set(slug, (counts.get(slug) ?? 0) + (Number(p.props.count) || 1));
        }
      }
      return counts;
    },

    /**
     * The drawn points in view, as the map shows them (for tests):
     * [{id, cluster, count, layer, sectors, color, x, y, r}], x and y in
     * container pixels, r the radius in pixels.
     */
    layerState() {
      const out = [];
      for (const p of pointsIn(map.getBounds(), dataZoom())) {
        if (!shown(p.layer, p.props)) continue;
        const count = Number(p.props.count) || 1;
        const pt = map.latLngToContainerPoint([p.lat, p.lng]);
        out.push({
          id: p.props.id === undefined ? null : Number(p.props.id),
          cluster: p.props.count !== undefined,
          count,
          layer: p.layer,
          sectors: pointSectors(p),
          color: sectors.get(p.layer)?.color ?? null,
          x: pt.x,
          y: pt.y,
          r: radiusOf(count),
        });
      }
      return out;
    },

    /** The slugs of the visible sectors with points in view (for tests and the legend). */
    drawnSectors() {
      const counts = this.countInView();
      return [...counts.keys()].filter((s) => visible.has(s)).sort();
    },
  };
}
