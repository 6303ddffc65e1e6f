// The actors' vector tiles (/tiles/actors/{z}/{x}/{y}.mvt, one layer per
// sector). Tiles are fetched here, once: the same bytes feed an index of
// the points of each loaded tile, which answers clicks (the nearest
// feature) and the legend's counts of actors in view, and, from the actor
// zoom, protomaps-leaflet's renderer of single actors. The clusters (across
// sectors) are drawn by clusters.js from the index: below the actor zoom
// every feature is one, and from it up to zoom 14 the tiles keep the
// actors of their dense cells as clusters beside the single actors. When
// not every sector is shown, the tiles are those of the shown sectors
// (?sectors=slug,slug), whose clusters count the filter's actors exactly;
// a change of the shown sectors fetches the tiles again.

import L from 'leaflet';
import { VectorTile } from '@mapbox/vector-tile';
import Pbf from 'pbf';
import { leafletLayer } from 'protomaps-leaflet';
import { clusterSectors, createClusterLayer, radiusOf } from './clusters.js';
import { inkOn } from './sectors.js';
import { root } from './urlstate.js';

const MAX_TILES = 256; // tiles kept in the index
const HIT_PX = 12; // how far from a point a click still hits it
const SAME_PLACE_M = 5; // actors closer than this share one address
const CLUSTER_REDRAW_MS = 60; // tiles come in bursts: one redraw a burst

/**
 * The sectors of a tile point: an actor's "sectors" property (slugs joined
 * by commas, its primary first), or a cluster's sectors, most members first.
 */
export function pointSectors(p) {
  const s = p.props?.sectors;
  if (typeof s !== 'string' || s === '') return [p.layer];
  return p.props.count === undefined ? s.split(',') : [...clusterSectors(p.props).keys()];
}

// A protomaps-leaflet paint symbolizer of single actors: a disc in the
// sector's colour with a white ring and the sector's pictogram.
class ActorSymbolizer {
  constructor(color, icon) {
    this.color = color;
    this.ink = inkOn(color);
    this.icon = icon ? new Path2D(icon) : null;
  }

  draw(ctx, geom) {
    const r = radiusOf(1);
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
        if (this.icon) {
          const size = 2 * r - 5; // the pictogram's box, in pixels
          ctx.save();
          ctx.translate(p.x - size / 2, p.y - size / 2);
          ctx.scale(size / 24, size / 24);
          ctx.fillStyle = this.ink;
          ctx.fill(this.icon, 'evenodd');
          ctx.restore();
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
 * The sectors= value of the tiles of the visible sectors (slugs in order
 * of position, joined by commas): null when every sector is shown, '' when
 * none is.
 */
export function tileFilter(sectors, visible) {
  const shown = [...sectors.values()].filter((s) => visible.has(s.slug));
  if (shown.length === sectors.size) return null;
  return shown
    .sort((a, b) => a.position - b.position || (a.slug < b.slug ? -1 : 1))
    .map((s) => s.slug)
    .join(',');
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
  let filter = tileFilter(sectors, visible); // the sectors of the loaded tiles

  const source = {
    // The PMTiles-like interface protomaps-leaflet accepts as a source.
    async getZxy(z, x, y, signal) {
      const asked = filter;
      const keep = (points) => {
        if (asked !== filter) return false; // a tile of the sectors shown before
        index.delete(`${z}/${x}/${y}`);
        index.set(`${z}/${x}/${y}`, points);
        return true;
      };
      if (asked === '') {
        keep([]); // no sector shown: nothing to ask for
        onLoad?.();
        scheduleClusters();
        return undefined;
      }
      const url = new URL(`tiles/actors/${z}/${x}/${y}.mvt`, root);
      if (asked !== null) url.search = `sectors=${asked}`;
      // After a reload, ask the server again (If-None-Match) rather than
      // take a tile the browser keeps: the ETag names the data version.
      const res = await fetch(url, { signal, cache: reloaded ? 'no-cache' : 'default' });
      if (res.status === 204) {
        if (!keep([])) return undefined;
        onLoad?.();
        scheduleClusters();
        return undefined;
      }
      if (!res.ok) throw new Error(`GET ${url.pathname}: HTTP ${res.status}`);
      const data = await res.arrayBuffer();
      if (!keep(indexTile(z, x, y, data))) return undefined;
      while (index.size > MAX_TILES) index.delete(index.keys().next().value);
      onLoad?.();
      scheduleClusters();
      if (z < actorZoom) return undefined; // clusters are drawn from the index, not on tile canvases
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
    filter: (z, f) =>
      f.props.count === undefined && shown(s.slug, f.props) && (hiddenId === null || f.props.id !== hiddenId),
  }));

  // The clusters of the tiles around the view, merged on screen pixels.
  let clusters = null;
  let clusterTimer = null;
  let clusterSource = null; // what the discs were drawn from (for tests)
  function drawClusters() {
    clusterTimer = null;
    if (!map || !clusters) return;
    const z = dataZoom();
    const container = map.getContainer();
    delete container.dataset.clusters;
    if (filtered) {
      clusters.clear();
      return;
    }
    const around = map.getBounds().pad(0.5);
    const cells = pointsIn(around, z).filter((p) => p.props.count !== undefined);
    clusters.draw(cells, z);
    clusterSource = {
      z,
      filter,
      bounds: [around.getWest(), around.getSouth(), around.getEast(), around.getNorth()],
      tiles: tilesIn(around, z).filter((k) => index.has(k)),
    };
    // data-clusters: the zoom of the discs, once every tile of the view is in (for tests).
    if (viewLoaded(z)) container.dataset.clusters = String(z);
  }
  function scheduleClusters() {
    if (clusterTimer === null) clusterTimer = setTimeout(drawClusters, CLUSTER_REDRAW_MS);
  }
  function loaded() {
    const z = `${dataZoom()}/`;
    for (const k of index.keys()) if (k.startsWith(z)) return true;
    return false;
  }

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

  /** The keys "z/x/y" of the tiles at zoom z that intersect bounds. */
  function tilesIn(bounds, z) {
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
      for (let y = Math.max(0, y0); y <= Math.min(n - 1, y1); y++) out.push(`${z}/${x}/${y}`);
    }
    return out;
  }

  /** The indexed points of the tiles at zoom z that intersect bounds. */
  function pointsIn(bounds, z) {
    const out = [];
    for (const k of tilesIn(bounds, z)) {
      for (const p of index.get(k) ?? []) {
        if (bounds.contains([p.lat, p.lng])) out.push(p);
      }
    }
    return out;
  }

  /** Whether every tile of the view at zoom z is in. */
  function viewLoaded(z) {
    return tilesIn(map.getBounds(), z).every((k) => index.has(k));
  }

  function replaceLayer() {
    index.clear();
    clusters?.clear();
    clusterSource = null;
    delete map.getContainer().dataset.clusters;
    layer?.remove();
    layer = makeLayer().addTo(map);
  }

  const dataZoom = () => Math.min(maxZoom, Math.max(0, Math.round(map.getZoom())));

  return {
    addTo(m) {
      map = m;
      // protomaps-leaflet extends the global L.GridLayer when a layer is made.
      globalThis.L = globalThis.L ?? L;
      layer = makeLayer().addTo(map);
      clusters = createClusterLayer(map, sectors);
      map.on('moveend', scheduleClusters);
      return this;
    },

    /** Whether some tile of the current zoom is in. */
    loaded,

    /**
     * Redraws the loaded tiles with the current sector visibility, or
     * fetches the tiles of the shown sectors when they changed.
     */
    redraw() {
      const now = tileFilter(sectors, visible);
      if (now !== filter) {
        filter = now;
        if (map) replaceLayer();
        return;
      }
      layer?.rerenderTiles();
      drawClusters();
    },

    /** Drops every tile and fetches them again (after an actor moved). */
    reload() {
      reloaded = true;
      replaceLayer();
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
      // Discs are drawn above single actors: they are hit first.
      let disc = null;
      let discD = Infinity;
      for (const c of clusters?.clusters() ?? []) {
        const d = map.latLngToContainerPoint(c.latlng).distanceTo(pt);
        if (d <= c.r + HIT_PX / 2 && d < discD) {
          disc = c;
          discD = d;
        }
      }
      if (disc) return { cluster: true, count: disc.count, latlng: disc.latlng };
      if (z < actorZoom) return null;
      const near = map.containerPointToLatLng(pt.add([HIT_PX + 26, HIT_PX + 26]));
      const far = map.containerPointToLatLng(pt.subtract([HIT_PX + 26, HIT_PX + 26]));
      let best = null;
      let bestD = Infinity;
      for (const p of pointsIn(L.latLngBounds(near, far), z)) {
        if (p.props.count !== undefined || !shown(p.layer, p.props)) continue;
        const d = map.latLngToContainerPoint([p.lat, p.lng]).distanceTo(pt);
        if (d <= radiusOf(1) + HIT_PX / 2 && d < bestD) {
          best = p;
          bestD = d;
        }
      }
      if (!best) return null;
      const latlng2 = L.latLng(best.lat, best.lng);
      const one = (p) => ({ id: Number(p.props.id ?? p.id), name: String(p.props.name ?? ''), sector: p.layer });
      const here = [one(best)];
      const seen = new Set(here.map((a) => a.id));
      for (const p of pointsIn(L.latLngBounds(near, far), z)) {
        if (p.props.count !== undefined || !shown(p.layer, p.props)) continue;
        const a = one(p);
        if (seen.has(a.id) || latlng2.distanceTo([p.lat, p.lng]) > SAME_PLACE_M) continue;
        seen.add(a.id);
        here.push(a);
      }
      return { ...one(best), latlng: latlng2, here };
    },

    /**
     * Counts the actors of each shown sector in the map's view, from the
     * loaded tiles (clusters count their members at their centroid, in
     * each of their sectors). The tiles hold no count of a hidden sector.
     */
    countInView() {
      const counts = new Map();
      for (const p of pointsIn(map.getBounds(), dataZoom())) {
        const by = p.props.count === undefined ? pointSectors(p).map((s) => [s, 1]) : clusterSectors(p.props);
        for (const [slug, n] of by) {
          if (visible.has(slug)) counts.set(slug, (counts.get(slug) ?? 0) + n);
        }
      }
      return counts;
    },

    /**
     * The drawn points in view, as the map shows them (for tests):
     * [{id, cluster, count, layer, sectors, shares, color, x, y, r}], x and
     * y in container pixels, r the radius in pixels. The drawn discs come
     * first (all there is below the actor zoom): layer is the most numerous
     * sector, sectors the shown sectors (most members first), shares their
     * counts; then, from the actor zoom, the single actors.
     */
    layerState() {
      const out = [];
      const bounds = map.getBounds();
      for (const c of clusters?.clusters() ?? []) {
        if (!bounds.contains(c.latlng)) continue;
        const pt = map.latLngToContainerPoint(c.latlng);
        out.push({
          id: null,
          cluster: true,
          count: c.count,
          layer: c.shares[0]?.[0].slug ?? null,
          sectors: c.shares.map(([s]) => s.slug),
          shares: c.shares.map(([, n]) => n),
          color: c.shares[0]?.[0].color ?? null,
          label: c.label,
          x: pt.x,
          y: pt.y,
          r: c.r,
        });
      }
      if (dataZoom() < actorZoom) return out;
      for (const p of pointsIn(bounds, dataZoom())) {
        if (p.props.count !== undefined || !shown(p.layer, p.props)) continue;
        const pt = map.latLngToContainerPoint([p.lat, p.lng]);
        out.push({
          id: p.props.id === undefined ? null : Number(p.props.id),
          cluster: false,
          count: 1,
          layer: p.layer,
          sectors: pointSectors(p),
          color: sectors.get(p.layer)?.color ?? null,
          x: pt.x,
          y: pt.y,
          r: radiusOf(1),
        });
      }
      return out;
    },

    /**
     * What the drawn discs were made of (for tests): {z, filter, bounds,
     * tiles, discs}, the cluster features of the tiles ("z/x/y", asked
     * with sectors=filter) whose points lie in bounds ([w, s, e, n]), and
     * every disc drawn from them, in view or not: [{count, by: {slug: n}}].
     */
    clusterSource() {
      if (!clusterSource) return null;
      const discs = (clusters?.clusters() ?? []).map((c) => ({ count: c.count, by: Object.fromEntries(c.by) }));
      return { ...clusterSource, discs };
    },

    /** The slugs of the visible sectors with points in view (for tests and the legend). */
    drawnSectors() {
      const counts = this.countInView();
      return [...counts.keys()].filter((s) => visible.has(s)).sort();
    },
  };
}
