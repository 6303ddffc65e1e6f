// The main map's layer of published workshops: what their participants
// placed on the territory (GET api/workshop-annotations.geojson), off by
// default, with its entry under the sectors' legend; drawAnnotations is
// shared with the coverage view. Texts are shown as text only.

import L from 'leaflet';
import { el } from './dom.js';
import { publishedAnnotations } from './workshop/api.js';

const colorRe = /^#[0-9a-fA-F]{6}$/;
const PANE = 'workshops';

/**
 * Replaces the content of layer (a Leaflet feature group) with the
 * annotations of fc drawn in pane, each with its tooltip and a
 * data-annotation-id; returns the kinds seen: [{label, color, n}].
 * l holds the texts (t.workshop.layer).
 */
export function drawAnnotations(layer, fc, pane, l) {
  layer.clearLayers();
  const seen = new Map(); // kind -> {label, color, n}
  for (const f of fc.features) {
    const p = f.properties ?? {};
    const color = colorRe.test(p.color) ? p.color : '#6b7280';
    const kindLabel = typeof p.kind_label === 'string' ? p.kind_label : String(p.kind ?? '');
    const entry = seen.get(p.kind) ?? { label: kindLabel, color, n: 0 };
    entry.n++;
    seen.set(p.kind, entry);
    const style = { pane, color, weight: 4, fillColor: color, fillOpacity: 0.25 };
    let drawn;
    try {
      drawn = L.geoJSON(f, {
        pane,
        style: () => style,
        pointToLayer: (_, latlng) => L.circleMarker(latlng, { ...style, radius: 8, color: '#ffffff', weight: 2, fillOpacity: 0.95 }),
      });
    } catch (err) {
      console.warn('maillage: workshop annotation', p.id, err);
      continue;
    }
    const tip = el('div', 'wtip');
    tip.append(el('strong', 'wtip__kind', kindLabel), el('span', 'wtip__text', p.text ?? ''));
    if (p.workshop_title) tip.append(el('span', 'wtip__from', l.from(p.workshop_title)));
    drawn.bindTooltip(tip, { className: 'wtip-box' });
    drawn.eachLayer((x) => x.on('add', () => x.getElement?.()?.setAttribute('data-annotation-id', String(p.id))));
    layer.addLayer(drawn);
  }
  return [...seen.values()];
}

/** Fills container with the layer's legend entry and draws the layer on map while it is ticked. */
export function createWorkshopOverlay(container, map, t) {
  const l = t.workshop.layer;
  const fieldset = el('fieldset', 'workshops-layer');
  fieldset.append(el('legend', 'legend__title', l.title));
  const label = el('label', 'legend__toggle');
  const box = el('input');
  box.type = 'checkbox';
  box.id = 'workshop-layer-toggle';
  box.checked = false;
  label.append(box, ` ${l.toggle}`);
  const hint = el('p', 'legend__hint', l.hint);
  const kinds = el('ul', 'legend__list');
  kinds.hidden = true;
  fieldset.append(label, hint, kinds);
  container.replaceChildren(fieldset);

  map.createPane(PANE).style.zIndex = 450;
  const layer = L.featureGroup();
  let pending = null;

  function render(fc) {
    const seen = drawAnnotations(layer, fc, PANE, l);
    kinds.replaceChildren(
      ...seen.map((k) => {
        const li = el('li', 'legend__item legend__item--static');
        const swatch = el('span', 'swatch');
        swatch.style.backgroundColor = k.color;
        swatch.setAttribute('aria-hidden', 'true');
        li.append(swatch, el('span', 'legend__label', k.label), el('span', 'legend__count', l.count(k.n)));
        return li;
      }),
    );
    kinds.hidden = seen.length === 0;
    map.getContainer().dataset.workshopAnnotations = String(fc.features.length);
  }

  async function load() {
    if (!box.checked) return;
    pending?.abort();
    pending = new AbortController();
    const b = map.getBounds();
    const bbox = [Math.max(-180, b.getWest()), Math.max(-90, b.getSouth()), Math.min(180, b.getEast()), Math.min(90, b.getNorth())];
    try {
      render(await publishedAnnotations({ bbox }, { signal: pending.signal }));
    } catch (err) {
      if (err.name === 'AbortError') return;
      console.warn('maillage: workshops layer', err);
      hint.textContent = l.failed;
    }
  }

  box.addEventListener('change', () => {
    if (box.checked) {
      layer.addTo(map);
      hint.textContent = l.hint;
      load();
    } else {
      pending?.abort();
      layer.remove();
      kinds.hidden = true;
      delete map.getContainer().dataset.workshopAnnotations;
    }
  });
  map.on('moveend', load);
}
