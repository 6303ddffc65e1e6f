// Clusters across sectors, below the actor zoom. The tiles carry, per
// 16-pixel cell of their grid, the exact count of its actors and of each
// sector; when not every sector is shown the tiles are asked for with the
// shown sectors (?sectors=), so the server's counts are those of the
// filter. Here the cells of the loaded tiles are merged while two discs
// would overlap by more than a few pixels, and drawn as markers: a disc
// sized by count, split by sector share, with the count in the middle.
// Markers are drawn from points, not from tile canvases, so no disc is cut
// at a tile edge and each is drawn once.

import L from 'leaflet';
import { inkOn } from './sectors.js';
import t from './i18n/fr.js';

const SVG = 'http://www.w3.org/2000/svg';

/** Overlap in pixels allowed between two discs. */
export const MAX_OVERLAP = 4;
// Leaflet places markers on whole pixels: each disc moves by up to 0.71 px,
// so discs are merged when they would overlap by more than this.
const MERGE_OVERLAP = MAX_OVERLAP - 1.5;
/** Radius in CSS pixels of the largest disc. */
export const MAX_RADIUS = 26;

/** Radius in CSS pixels of a point: single actors are small, clusters grow with their count. */
export function radiusOf(count) {
  return count > 1 ? Math.min(MAX_RADIUS, 10 + 4 * Math.log10(count)) : 9;
}

/** Formats a cluster count in at most four characters (1 234 -> 1,2k). */
export function shortCount(n) {
  if (n < 1000) return String(n);
  if (n < 10000) return `${(n / 1000).toFixed(1).replace('.', ',')}k`;
  return `${Math.round(n / 1000)}k`;
}

/**
 * Reads "slug:n" entries joined by sep into [[slug, n]], skipping what is
 * not one.
 */
function entries(s, sep) {
  if (typeof s !== 'string' || s === '') return [];
  const out = [];
  for (const e of s.split(sep)) {
    const i = e.lastIndexOf(':');
    const n = Number(e.slice(i + 1));
    if (i > 0 && Number.isInteger(n) && n > 0) out.push([e.slice(0, i), n]);
  }
  return out;
}

/** The per-sector counts of a cluster's properties, as a Map slug -> n. */
export function clusterSectors(props) {
  return new Map(entries(props.sectors, ','));
}

/**
 * The count of a cluster feature and of each of its sectors: {count, by},
 * null when it counts no actor.
 */
export function cellCounts(props) {
  const count = Number(props.count);
  if (!Number.isInteger(count) || count <= 0) return null;
  return { count, by: clusterSectors(props) };
}

/**
 * Merges clusters ({x, y, count, by}, x and y in pixels) until no two
 * discs of radius radius(count) overlap by more than overlap pixels (by
 * default, MAX_OVERLAP once placed on whole pixels): the
 * larger absorbs the smaller, at their weighted centroid. Returns new
 * objects with r, their radius.
 */
export function mergeClusters(items, radius = radiusOf, overlap = MERGE_OVERLAP) {
  const cell = 2 * radius(Infinity); // no two discs farther apart than this overlap
  let cs = items.map((c) => ({ x: c.x, y: c.y, count: c.count, by: new Map(c.by), r: radius(c.count) }));
  for (;;) {
    cs.sort((a, b) => b.count - a.count || a.x - b.x || a.y - b.y);
    const grid = new Map();
    for (const c of cs) {
      c.dead = false;
      c.gx = Math.floor(c.x / cell);
      c.gy = Math.floor(c.y / cell);
      const k = `${c.gx},${c.gy}`;
      if (!grid.has(k)) grid.set(k, []);
      grid.get(k).push(c);
    }
    let merged = false;
    for (const c of cs) {
      if (c.dead) continue;
      for (let dx = -1; dx <= 1; dx++) {
        for (let dy = -1; dy <= 1; dy++) {
          for (const o of grid.get(`${c.gx + dx},${c.gy + dy}`) ?? []) {
            if (o === c || o.dead || Math.hypot(o.x - c.x, o.y - c.y) >= c.r + o.r - overlap) continue;
            const n = c.count + o.count;
            c.x = (c.x * c.count + o.x * o.count) / n;
            c.y = (c.y * c.count + o.y * o.count) / n;
            c.count = n;
            for (const [s, k] of o.by) c.by.set(s, (c.by.get(s) ?? 0) + k);
            c.r = radius(n);
            o.dead = true;
            merged = true;
          }
        }
      }
    }
    cs = cs.filter((c) => !c.dead);
    if (!merged) {
      return cs.map(({ x, y, count, by, r }) => ({ x, y, count, by, r }));
    }
  }
}

/** The sectors of a cluster, most members first, then by position: [[sector, n]]. */
export function sharesOf(by, sectors) {
  return [...by]
    .filter(([s]) => sectors.has(s))
    .sort((a, b) => b[1] - a[1] || sectors.get(a[0]).position - sectors.get(b[0]).position)
    .map(([s, n]) => [sectors.get(s), n]);
}

/** The accessible name of a cluster: its count and its count in each sector. */
export function clusterLabel(count, shares) {
  return t.clusterLabel(count, shares.map(([s, n]) => [s.label, n]));
}

function svgNode(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

/**
 * Draws a disc of radius r split by shares ([[sector, n]]): a ring of
 * sectors around the count, or for a single actor its sector's disc and
 * pictogram. Returns an <svg> of 2r x 2r.
 */
export function clusterDisc(count, shares, r) {
  const size = 2 * r;
  const svg = svgNode('svg', { width: size, height: size, viewBox: `0 0 ${size} ${size}`, 'aria-hidden': 'true' });
  const total = shares.reduce((a, [, n]) => a + n, 0);
  const outer = r - 1;
  if (shares.length === 1 || total === 0) {
    svg.append(svgNode('circle', { cx: r, cy: r, r: outer, fill: shares[0]?.[0].color ?? '#6b7280' }));
  } else {
    let a0 = -Math.PI / 2;
    for (const [s, n] of shares) {
      const a1 = a0 + (2 * Math.PI * n) / total;
      const large = a1 - a0 > Math.PI ? 1 : 0;
      const p = (a) => `${(r + outer * Math.cos(a)).toFixed(2)} ${(r + outer * Math.sin(a)).toFixed(2)}`;
      svg.append(svgNode('path', { d: `M${r} ${r}L${p(a0)}A${outer} ${outer} 0 ${large} 1 ${p(a1)}Z`, fill: s.color }));
      a0 = a1;
    }
  }
  svg.append(svgNode('circle', { cx: r, cy: r, r: outer, fill: 'none', stroke: '#ffffff', 'stroke-width': 1.5 }));
  if (count === 1 && shares.length === 1 && shares[0][0].icon) {
    const box = size - 6;
    const g = svgNode('g', { transform: `translate(3 3) scale(${box / 24})` });
    g.append(svgNode('path', { d: shares[0][0].icon, fill: inkOn(shares[0][0].color), 'fill-rule': 'evenodd' }));
    svg.append(g);
  } else {
    const inner = r - Math.max(3.5, 0.3 * r);
    svg.append(svgNode('circle', { cx: r, cy: r, r: inner, fill: '#ffffff' }));
    const text = svgNode('text', {
      x: r,
      y: r,
      'text-anchor': 'middle',
      'dominant-baseline': 'central',
      'font-size': count >= 1000 ? 10 : 11,
      'font-weight': 700,
      fill: '#1f2937',
    });
    text.textContent = shortCount(count);
    svg.append(text);
  }
  return svg;
}

/**
 * Creates the cluster layer of map: draw(points, z) replaces the markers
 * with the clusters of points (the cluster features of the tiles of zoom
 * z, {lat, lng, props}, as filtered by the server); clusters() returns
 * them as {latlng, count, by, r}.
 */
export function createClusterLayer(map, sectors) {
  if (!map.getPane('clusters')) {
    map.createPane('clusters').style.zIndex = '550'; // above the tiles, under the selection
  }
  const group = L.layerGroup().addTo(map);
  let drawn = [];

  return {
    draw(points, z) {
      const cells = [];
      for (const p of points) {
        const kept = cellCounts(p.props);
        if (!kept) continue;
        const pt = map.project([p.lat, p.lng], z);
        cells.push({ x: pt.x, y: pt.y, ...kept });
      }
      group.clearLayers();
      drawn = [];
      for (const c of mergeClusters(cells)) {
        const latlng = map.unproject([c.x, c.y], z);
        const shares = sharesOf(c.by, sectors);
        const label = clusterLabel(c.count, shares);
        const marker = L.marker(latlng, {
          pane: 'clusters',
          icon: L.divIcon({ className: 'cluster-marker', html: clusterDisc(c.count, shares, c.r), iconSize: [2 * c.r, 2 * c.r] }),
          keyboard: false,
          interactive: false,
        });
        group.addLayer(marker);
        const el = marker.getElement();
        if (el) {
          el.setAttribute('role', 'img');
          el.setAttribute('aria-label', label);
          el.title = label;
          el.dataset.count = String(c.count);
          el.dataset.r = String(c.r);
        }
        drawn.push({ latlng, count: c.count, by: c.by, r: c.r, shares, label });
      }
    },

    clear() {
      group.clearLayers();
      drawn = [];
    },

    clusters() {
      return drawn;
    },
  };
}
