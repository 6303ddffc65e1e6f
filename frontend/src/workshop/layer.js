// The workshop's annotations on a Leaflet map: points as markers with the
// kind's colour and icon, lines and zones as paths in the kind's colour.
// Texts reach the map only as text (tooltips get elements, markers a
// title attribute). The map's container lists the ids drawn in
// data-annotations, so that tests and tools can tell what is shown.

import L from 'leaflet';
import { inkOn } from '../sectors.js';
import { el } from '../dom.js';
import { kindOf } from './kinds.js';

/** Converts GeoJSON [lon, lat] positions to Leaflet [lat, lon]. */
const latLngs = (coords) => coords.map(([lon, lat]) => [lat, lon]);

/** A stamp of what the drawing of a depends on. */
const stampOf = (a, selected) =>
  [a.updated_at, a.state, a.pinned, a.kind, a.text, selected].join('|') + JSON.stringify(a.geometry);

/**
 * Creates the layer on map. kinds is the kind index; t the locale.
 * Options: size (marker size in px), onSelect(id) on a click,
 * filter(annotation) which annotations to draw.
 */
export function createAnnotationLayer(map, kinds, t, { size = 34, onSelect = null, filter = () => true } = {}) {
  const group = L.featureGroup().addTo(map);
  const drawn = new Map(); // id -> {layer, stamp}
  let selected = null;
  let current = [];
  let keep = filter;

  function icon(a, kind) {
    const mark = el('div', 'wmark');
    mark.style.backgroundColor = kind.color;
    mark.style.color = inkOn(kind.color);
    mark.style.width = mark.style.height = `${size}px`;
    mark.style.fontSize = `${Math.round(size * 0.55)}px`;
    mark.classList.toggle('wmark--pinned', Boolean(a.pinned));
    mark.classList.toggle('wmark--hidden', a.state === 'hidden');
    mark.classList.toggle('wmark--selected', a.id === selected);
    mark.append(el('span', 'wmark__icon', kind.icon || '•'));
    return L.divIcon({ html: mark, className: 'wmark-wrap', iconSize: [size, size], iconAnchor: [size / 2, size / 2] });
  }

  function build(a) {
    const kind = kindOf(kinds, a.kind);
    const label = t.workshop.annotationLabel(kind.label, a.text ?? '');
    const g = a.geometry;
    const isSelected = a.id === selected;
    const hidden = a.state === 'hidden';
    const pathStyle = {
      color: kind.color,
      weight: isSelected ? 9 : 6,
      opacity: hidden ? 0.45 : 0.95,
      dashArray: hidden ? '8 8' : null,
    };
    let layer;
    try {
      if (g?.type === 'Point') {
        const [lon, lat] = g.coordinates;
        layer = L.marker([lat, lon], {
          icon: icon(a, kind),
          title: label,
          keyboard: onSelect !== null,
          riseOnHover: true,
          zIndexOffset: a.pinned || isSelected ? 1000 : 0,
        });
      } else if (g?.type === 'LineString') {
        layer = L.polyline(latLngs(g.coordinates), pathStyle);
      } else if (g?.type === 'Polygon') {
        layer = L.polygon(g.coordinates.map(latLngs), {
          ...pathStyle,
          weight: isSelected ? 7 : 4,
          fillColor: kind.color,
          fillOpacity: hidden ? 0.1 : 0.25,
        });
      } else {
        return null;
      }
    } catch (err) {
      console.warn('maillage: annotation', a.id, 'has a broken geometry', err);
      return null;
    }
    const tip = el('div', 'wtip');
    tip.append(el('strong', 'wtip__kind', kind.label), el('span', 'wtip__text', a.text ?? ''));
    layer.bindTooltip(tip, { direction: 'top', className: 'wtip-box' });
    layer.on('add', () => {
      const node = layer.getElement?.();
      if (!node) return;
      node.dataset.annotationId = String(a.id);
      node.dataset.kind = a.kind;
      if (g.type !== 'Point') {
        // An SVG path may carry a name only with a role (axe: aria-prohibited-attr).
        node.setAttribute('role', 'img');
        node.setAttribute('aria-label', label);
      }
    });
    if (onSelect) {
      layer.on('click', (e) => {
        L.DomEvent.stopPropagation(e);
        onSelect(a.id);
      });
      layer.on('keypress', (e) => {
        if (e.originalEvent?.key === 'Enter') onSelect(a.id);
      });
    }
    return layer;
  }

  function render() {
    const want = new Map();
    for (const a of current) if (keep(a)) want.set(a.id, a);
    for (const [id, d] of drawn) {
      if (!want.has(id)) {
        group.removeLayer(d.layer);
        drawn.delete(id);
      }
    }
    for (const [id, a] of want) {
      const stamp = stampOf(a, id === selected);
      const d = drawn.get(id);
      if (d && d.stamp === stamp) continue;
      if (d) group.removeLayer(d.layer);
      const layer = build(a);
      if (!layer) {
        drawn.delete(id);
        continue;
      }
      group.addLayer(layer);
      drawn.set(id, { layer, stamp });
    }
    map.getContainer().dataset.annotations = [...drawn.keys()].sort((x, y) => x - y).join(' ');
  }

  return {
    /** Draws the annotations of list (replacing the former list). */
    update(list) {
      current = list;
      render();
    },

    /** Changes which annotations are drawn. */
    setFilter(fn) {
      keep = fn;
      render();
    },

    /** Marks one annotation (null: none). */
    select(id) {
      selected = id;
      render();
    },

    /** The Leaflet bounds of what is drawn, or null when nothing is. */
    bounds() {
      const b = group.getBounds();
      return b.isValid() ? b : null;
    },

    /** The centre of one drawn annotation, or null. */
    centerOf(id) {
      const d = drawn.get(id);
      if (!d) return null;
      return d.layer.getLatLng ? d.layer.getLatLng() : d.layer.getBounds().getCenter();
    },

    /** The bounds of one drawn annotation, or null. */
    boundsOf(id) {
      const d = drawn.get(id);
      if (!d) return null;
      return d.layer.getBounds ? d.layer.getBounds() : L.latLngBounds([d.layer.getLatLng()]);
    },
  };
}
