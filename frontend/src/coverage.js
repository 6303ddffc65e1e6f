// Entry point of the coverage view (/couverture): a territory, sectors and
// a radius, kept in the URL (?territoire=29&secteurs=a,b&rayon=10&indicateur=distance&ateliers=1);
// a choropleth of its communes with a classed legend, the actors of the
// sectors on top, optionally the annotations of published workshops in the
// territory, one sentence computed from /api/coverage, a comparison
// with the enclosing territory, a sortable table, CSV export and an A4
// landscape print.

import 'leaflet/dist/leaflet.css';
import './style.css';
import './coverage.css';

import L from 'leaflet';
import t, { formatNumber } from './i18n/fr.js';
import { createActorTiles } from './actortiles.js';
import { fetchSectors } from './api.js';
import { createTerritoryLayer } from './basemap.js';
import { readConfig } from './config.js';
import { el } from './dom.js';
import { renderCoverageTable } from './coveragetable.js';
import { indexSectors } from './sectors.js';
import { root } from './urlstate.js';
import { publishedAnnotations } from './workshop/api.js';
import { drawAnnotations } from './workshoplayer.js';

const tc = t.coverage;
const DISTANCE_COLORS = ['#1a9850', '#91cf60', '#d9ef8b', '#fdae61', '#d73027'];
const DENSITY_COLORS = ['#c6dbef', '#6baed6', '#2171b5', '#08306b'];
const NONE_COLOR = '#ffffff';
const UNKNOWN_COLOR = '#bdbdbd';

async function getJSON(path) {
  const res = await fetch(new URL(path, root), { headers: { Accept: 'application/json' } });
  if (!res.ok) {
    const err = new Error(`GET ${path}: HTTP ${res.status}`);
    err.status = res.status;
    throw err;
  }
  return res.json();
}

/** Reads the view's choices from the URL. */
function readState() {
  const q = new URLSearchParams(window.location.search);
  const radius = Number.parseFloat(q.get('rayon'));
  return {
    territory: q.get('territoire') || null,
    sectors: q.has('secteurs') ? q.get('secteurs').split(',').filter(Boolean) : null,
    radius: Number.isFinite(radius) && radius > 0 && radius <= 200 ? radius : 10,
    indicator: q.get('indicateur') === 'densite' ? 'densite' : 'distance',
    workshops: q.get('ateliers') === '1',
  };
}

function writeState(s) {
  const q = new URLSearchParams();
  if (s.territory) q.set('territoire', s.territory);
  if (s.sectors?.length) q.set('secteurs', s.sectors.join(','));
  q.set('rayon', String(s.radius));
  q.set('indicateur', s.indicator);
  if (s.workshops) q.set('ateliers', '1');
  const url = new URL(window.location.href);
  url.search = `?${q.toString().replace(/%2C/g, ',').replace(/%3A/g, ':')}`;
  if (url.href !== window.location.href) history.replaceState(null, '', url);
}

/** Classes of the chosen indicator: [{label, color, test(item)}]. */
function classesOf(indicator, items, radius) {
  if (indicator === 'distance') {
    const b = [0, radius / 4, radius / 2, radius, radius * 2];
    const classes = b.map((lo, i) => ({
      label: i < b.length - 1 ? tc.kmRange(tc.km(lo), tc.km(b[i + 1])) : tc.kmAbove(tc.km(lo)),
      color: DISTANCE_COLORS[i],
      test: (it) => it.nearest_km != null && it.nearest_km >= lo && (i === b.length - 1 || it.nearest_km < b[i + 1]),
    }));
    return { title: tc.legendDistance, classes };
  }
  // Quartiles of the communes that have actors.
  const values = items.map((it) => it.per_10k).filter((v) => v != null && v > 0).sort((a, b) => a - b);
  const q = (p) => values[Math.min(values.length - 1, Math.floor(p * values.length))];
  const bounds = values.length ? [...new Set([values[0], q(0.25), q(0.5), q(0.75)])] : [];
  const classes = [
    { label: tc.legendNone, color: NONE_COLOR, test: (it) => it.per_10k === 0 },
    ...bounds.map((lo, i) => ({
      label: i < bounds.length - 1 ? `${tc.per10k(lo)} – ${tc.per10k(bounds[i + 1])}` : `${tc.per10k(lo)} – ${tc.per10k(values[values.length - 1])}`,
      color: DENSITY_COLORS[i],
      test: (it) => it.per_10k != null && it.per_10k >= lo && (i === bounds.length - 1 || it.per_10k < bounds[i + 1]),
    })),
  ];
  return { title: tc.legendDensity, classes };
}

/** An SVG pattern of diagonal hatches that any SVG of the page can use. */
function addHatchPattern() {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('width', '0');
  svg.setAttribute('height', '0');
  svg.setAttribute('aria-hidden', 'true');
  svg.style.position = 'absolute';
  const pattern = document.createElementNS(ns, 'pattern');
  pattern.id = 'cov-hatch';
  pattern.setAttribute('patternUnits', 'userSpaceOnUse');
  pattern.setAttribute('width', '8');
  pattern.setAttribute('height', '8');
  pattern.setAttribute('patternTransform', 'rotate(45)');
  const line = document.createElementNS(ns, 'line');
  line.setAttribute('x1', '0');
  line.setAttribute('y1', '0');
  line.setAttribute('x2', '0');
  line.setAttribute('y2', '8');
  line.setAttribute('stroke', '#7f1d1d');
  line.setAttribute('stroke-width', '2.5');
  pattern.append(line);
  const defs = document.createElementNS(ns, 'defs');
  defs.append(pattern);
  svg.append(defs);
  document.body.append(svg);
}

async function start() {
  const config = readConfig();
  const state = readState();
  const status = document.getElementById('cov-status');
  const say = (text) => status.replaceChildren(el('p', 'notice', text));
  addHatchPattern();

  let sectorItems;
  try {
    sectorItems = await fetchSectors();
  } catch (err) {
    console.error('maillage:', err);
    say(tc.failed);
    return;
  }
  const sectors = indexSectors(sectorItems);
  if (!state.sectors) state.sectors = sectors.has('insertion') ? ['insertion'] : [...sectors.keys()].slice(0, 1);
  state.sectors = state.sectors.filter((s) => sectors.has(s));
  const visible = new Set(state.sectors);

  // The form.
  const box = document.getElementById('cov-sectors');
  for (const s of sectors.values()) {
    const label = el('label', 'cov-sector');
    const input = el('input');
    input.type = 'checkbox';
    input.value = s.slug;
    input.checked = visible.has(s.slug);
    const swatch = el('span', 'cov-swatch');
    swatch.style.background = s.color;
    label.append(input, swatch, document.createTextNode(s.label));
    box.append(label);
    input.addEventListener('change', () => {
      state.sectors = [...box.querySelectorAll('input:checked')].map((i) => i.value);
      update();
    });
  }
  const radiusInput = document.getElementById('cov-radius');
  radiusInput.value = String(state.radius);
  radiusInput.addEventListener('change', () => {
    const v = Number.parseFloat(radiusInput.value);
    if (!(v >= 1 && v <= 200)) {
      say(tc.badRadius);
      return;
    }
    state.radius = v;
    update();
  });
  const indicatorSelect = document.getElementById('cov-indicator');
  indicatorSelect.value = state.indicator;
  indicatorSelect.addEventListener('change', () => {
    state.indicator = indicatorSelect.value;
    update();
  });
  const workshopsBox = document.getElementById('cov-workshops');
  workshopsBox.checked = state.workshops;
  workshopsBox.addEventListener('change', () => {
    state.workshops = workshopsBox.checked;
    writeState({ ...state, territory: territory ? withinOf(territory) : state.territory });
    showWorkshops();
  });
  document.getElementById('cov-print').addEventListener('click', () => window.print());
  document.getElementById('cov-form').addEventListener('submit', (e) => e.preventDefault());

  // The map: the territory base map, the choropleth, the actors on top.
  const mapEl = document.getElementById('cov-map');
  mapEl.setAttribute('role', 'region');
  mapEl.setAttribute('aria-label', tc.mapLabel);
  const map = L.map(mapEl, { zoomControl: true, attributionControl: true, center: [46.6, 2.4], zoom: 6, maxZoom: 16 });
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
  mapEl.classList.add('map--sober');
  createTerritoryLayer().addTo(map);
  L.control.scale({ imperial: false, position: 'bottomleft' }).addTo(map);
  let choropleth = null;
  let hatches = null;
  const actors = createActorTiles({ sectors, visible, actorZoom: config.actorZoom, maxZoom: 16 }).addTo(map);
  map.createPane('workshops').style.zIndex = 450;
  const workshops = L.featureGroup();
  let workshopRequest = null;

  // The territory picker: suggestions of départements and EPCI by name.
  const input = document.getElementById('cov-territory-input');
  const options = document.getElementById('cov-territory-options');
  let territory = null; // {level, code, name}
  let found = [];
  let active = -1;
  let timer = null;
  const closeOptions = () => {
    options.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
    active = -1;
  };
  const choose = (item) => {
    territory = { level: item.level, code: item.code, name: item.name };
    input.value = item.name;
    closeOptions();
    update();
  };
  const showOptions = () => {
    options.replaceChildren(
      ...found.map((it, i) => {
        const li = el('li', 'cov-option', tc.option(it.name, tc.level[it.level] ?? it.level, it.code));
        li.id = `cov-option-${i}`;
        li.setAttribute('role', 'option');
        li.setAttribute('aria-selected', String(i === active));
        li.addEventListener('mousedown', (e) => {
          e.preventDefault();
          choose(it);
        });
        return li;
      }),
    );
    options.hidden = found.length === 0;
    input.setAttribute('aria-expanded', String(found.length > 0));
    if (active >= 0) input.setAttribute('aria-activedescendant', `cov-option-${active}`);
  };
  input.addEventListener('input', () => {
    clearTimeout(timer);
    const q = input.value.trim();
    if (q.length < 2) {
      found = [];
      showOptions();
      return;
    }
    timer = setTimeout(async () => {
      try {
        const res = await getJSON(`api/territories?${new URLSearchParams({ q, level: 'departement,epci', limit: '8' })}`);
        found = res.items;
        active = -1;
        showOptions();
      } catch (err) {
        console.warn('maillage:', err);
      }
    }, 150);
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      if (!found.length) return;
      e.preventDefault();
      active = (active + (e.key === 'ArrowDown' ? 1 : -1) + found.length) % found.length;
      showOptions();
    } else if (e.key === 'Enter') {
      e.preventDefault();
      if (found.length) choose(found[Math.max(active, 0)]);
    } else if (e.key === 'Escape') {
      closeOptions();
    }
  });
  input.addEventListener('blur', () => setTimeout(closeOptions, 100));

  let request = 0;
  async function update() {
    writeState({ ...state, territory: territory ? withinOf(territory) : state.territory });
    visible.clear();
    for (const s of state.sectors) visible.add(s);
    actors.redraw();
    if (!territory) {
      say(tc.noTerritory);
      return;
    }
    if (!state.sectors.length) {
      say(tc.noSector);
      return;
    }
    const mine = ++request;
    say(tc.loading);
    const query = new URLSearchParams({
      within: withinOf(territory),
      level: 'commune',
      sectors: state.sectors.join(','),
      radius_km: String(state.radius),
    });
    let cov;
    try {
      cov = await getJSON(`api/coverage.geojson?${query}`);
    } catch (err) {
      console.error('maillage:', err);
      if (mine === request) say(tc.failed);
      return;
    }
    if (mine !== request) return;
    status.replaceChildren();
    document.getElementById('cov-csv').href = new URL(`api/coverage.csv?${query}`, root).href;
    draw(cov);
    showWorkshops();
    compare(cov, mine);
  }

  /**
   * Draws the visible annotations of published workshops inside the
   * territory while the box is ticked, with their kinds in the legend.
   */
  async function showWorkshops() {
    workshopRequest?.abort();
    const mapBox = map.getContainer();
    const entries = document.getElementById('cov-legend-workshops');
    if (!state.workshops || !territory) {
      workshops.remove();
      entries?.replaceChildren();
      delete mapBox.dataset.workshopAnnotations;
      return;
    }
    workshopRequest = new AbortController();
    let fc;
    try {
      fc = await publishedAnnotations({ within: withinOf(territory) }, { signal: workshopRequest.signal });
    } catch (err) {
      if (err.name === 'AbortError') return;
      console.warn('maillage: workshops', err);
      say(tc.workshopsFailed);
      return;
    }
    const kinds = drawAnnotations(workshops, fc, 'workshops', t.workshop.layer);
    workshops.addTo(map);
    mapBox.dataset.workshopAnnotations = String(fc.features.length);
    const list = document.getElementById('cov-legend-workshops');
    if (!list) return;
    const items = kinds.map((k) => {
      const li = el('li', 'cov-legend__item');
      const sw = el('span', 'cov-legend__swatch cov-legend__swatch--dot');
      sw.style.background = k.color;
      li.append(sw, el('span', null, `${k.label} (${formatNumber(k.n)})`));
      return li;
    });
    list.replaceChildren(el('li', 'cov-legend__item cov-legend__heading', tc.legendWorkshops),
      ...(items.length ? items : [el('li', 'cov-legend__item', tc.legendNoWorkshops)]));
  }

  function withinOf(tr) {
    return `${tr.level}:${tr.code}`;
  }

  function draw(cov) {
    const items = cov.features.map((f) => f.properties);
    const { title, classes } = classesOf(state.indicator, items, state.radius);
    const colorOf = (it) => {
      if (state.indicator === 'densite' && it.population == null) return UNKNOWN_COLOR;
      if (it.no_point) return UNKNOWN_COLOR;
      return classes.find((c) => c.test(it))?.color ?? UNKNOWN_COLOR;
    };
    choropleth?.remove();
    hatches?.remove();
    choropleth = L.geoJSON(cov, {
      style: (f) => ({ color: '#4b5563', weight: 0.6, fillColor: colorOf(f.properties), fillOpacity: 0.72 }),
      pointToLayer: (f, latlng) => L.circleMarker(latlng, { radius: 5 }),
      onEachFeature: (f, layer) => layer.bindTooltip(f.properties.name, { sticky: true }),
    }).addTo(map);
    hatches = L.geoJSON(
      { type: 'FeatureCollection', features: cov.features.filter((f) => f.properties.zone_blanche) },
      {
        style: () => ({ stroke: false, fillColor: 'url(#cov-hatch)', fillOpacity: 1, interactive: false }),
        pointToLayer: (f, latlng) => L.circleMarker(latlng, { radius: 5, interactive: false }),
      },
    ).addTo(map);
    actors.redraw();
    const bounds = choropleth.getBounds();
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [8, 8] });
    for (const s of cov.sources ?? []) map.attributionControl.addAttribution(s.replace(/[<>&]/g, ''));

    // Legend.
    const legend = document.getElementById('cov-legend');
    const list = el('ul', 'cov-legend__list');
    const entry = (swatchClass, color, label) => {
      const li = el('li', 'cov-legend__item');
      const sw = el('span', `cov-legend__swatch ${swatchClass ?? ''}`);
      if (color) sw.style.background = color;
      li.append(sw, el('span', null, label));
      return li;
    };
    for (const c of classes) list.append(entry(null, c.color, c.label));
    list.append(entry('cov-legend__swatch--hatch', null, tc.legendZoneBlanche(formatNumber(state.radius))));
    list.append(entry(null, UNKNOWN_COLOR, tc.legendUnknown));
    for (const s of state.sectors) list.append(entry('cov-legend__swatch--dot', sectors.get(s).color, `${tc.legendActors} : ${sectors.get(s).label}`));
    const workshopList = el('ul', 'cov-legend__list cov-legend__workshops');
    workshopList.id = 'cov-legend-workshops';
    legend.replaceChildren(el('h2', 'cov-h2', title), list, workshopList);
    legend.dataset.classes = String(classes.length);

    // The sentence, from the summary.
    const sum = cov.summary;
    const labels = state.sectors.map((s) => sectors.get(s).label);
    const sentence = document.getElementById('cov-sentence');
    sentence.textContent =
      sum.share_beyond == null
        ? tc.sentenceNoPeople(territory.name)
        : tc.sentence(territory.name, tc.percent(sum.share_beyond), formatNumber(sum.population_beyond),
          formatNumber(state.radius), tc.sectorPhrase(labels));
    sentence.dataset.share = sum.share_beyond == null ? '' : String(sum.share_beyond);
    const date = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeStyle: 'short' }).format(new Date(cov.computed_at));
    document.getElementById('cov-computed').textContent = tc.computedAt(date);
    document.getElementById('cov-params').textContent = tc.params(territory.name, labels.join(', '),
      formatNumber(state.radius), new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long' }).format(new Date()));
    document.getElementById('cov-sources').textContent = tc.sources((cov.sources ?? []).join(' ; '));

    // Table and the ten weakest for print.
    renderCoverageTable(document.getElementById('cov-table'), items, { name: territory.name, radius: state.radius }, tc, formatNumber);
    document.getElementById('cov-weakest').replaceChildren(
      ...items.slice(0, 10).map((it) =>
        el('li', null, tc.weakestItem(it.name, it.nearest_km == null ? '—' : tc.km(it.nearest_km), it.population == null ? tc.unknown : formatNumber(it.population)))),
    );
    document.body.dataset.ready = withinOf(territory);
  }

  /** Compares with the enclosing territory: an EPCI's département, a département's region. */
  async function compare(cov, mine) {
    const out = document.getElementById('cov-comparison');
    out.textContent = '';
    try {
      let parent = null;
      if (territory.level === 'epci') {
        const res = await getJSON(`api/territories?level=departement&within=${encodeURIComponent(withinOf(territory))}&limit=1`);
        parent = res.items[0];
      } else if (territory.level === 'departement') {
        const dep = await getJSON(`api/territories/${encodeURIComponent(territory.code)}?level=departement`);
        if (dep.region) parent = await getJSON(`api/territories/${encodeURIComponent(dep.region)}?level=region`);
      }
      if (!parent || mine !== request) return;
      const q = new URLSearchParams({ within: `${parent.level}:${parent.code}`, level: parent.level === 'region' ? 'departement' : 'commune',
        sectors: state.sectors.join(','), radius_km: String(state.radius) });
      const other = await getJSON(`api/coverage?${q}`);
      if (mine !== request || other.summary.share_beyond == null) return;
      out.textContent = tc.comparison(parent.name, tc.percent(other.summary.share_beyond));
      out.dataset.share = String(other.summary.share_beyond);
    } catch (err) {
      console.warn('maillage:', err);
    }
  }

  // The territory of the URL.
  if (state.territory) {
    const [level, code] = state.territory.includes(':') ? state.territory.split(':') : ['', state.territory];
    try {
      const tr = await getJSON(`api/territories/${encodeURIComponent(code)}${level ? `?level=${encodeURIComponent(level)}` : ''}`);
      territory = { level: tr.level, code: tr.code, name: tr.name };
      input.value = tr.name;
    } catch (err) {
      console.warn('maillage:', err);
    }
  }
  update();
}

start();
