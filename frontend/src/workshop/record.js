// Entry point of the record (/ateliers/{code}/synthese): the map and every
// visible annotation, counted by sector and kind in a table, then listed by
// kind and sector with authors and votes; exports, and a print layout on
// one A4 landscape page.

import 'leaflet/dist/leaflet.css';
import '../style.css';
import './workshop.css';

import { fetchSectors, fetchTileJSON } from '../api.js';
import { button, el } from '../dom.js';
import t from '../i18n/fr.js';
import { indexSectors } from '../sectors.js';
import { askToken } from './access.js';
import * as api from './api.js';
import { annotationMeta, kindBadge } from './annotationlist.js';
import { isVisible } from './annotations.js';
import { indexKinds, kindOf } from './kinds.js';
import { createAnnotationLayer } from './layer.js';
import { createPlainMap, showTerritory } from './mapview.js';
import { animatorSecret, keeperToken, participantToken, saveTypedToken, takeSecretFromURL } from './session.js';
import { openShell } from './shell.js';

const w = t.workshop;
const r = w.record;
const NO_SECTOR = '';

/** Finds a token that may read the record (none when it is public). Resolves with {token, workshop}. */
async function authorize(gate, id, code) {
  takeSecretFromURL(code);
  let bad = false;
  for (;;) {
    const tried = new Set();
    for (const token of [animatorSecret(code), keeperToken(), participantToken(code), '']) {
      if (tried.has(token)) continue;
      tried.add(token);
      try {
        return { token, workshop: await api.getWorkshop(id, token) };
      } catch (err) {
        if (err.status !== 401 && err.status !== 403 && err.status !== 404) throw err;
      }
    }
    saveTypedToken(code, await askToken(gate, t, w.access.recordIntro, { bad }));
    bad = true;
  }
}

/** Groups annotations by kind (in the kinds' order), then by sector (in the sectors' order, "no sector" last). */
function group(list, kinds, sectors) {
  const sectorOrder = (slug) => (slug === NO_SECTOR ? Infinity : (sectors.get(slug)?.position ?? 1e6));
  const byKind = new Map();
  for (const k of kinds.keys()) byKind.set(k, new Map());
  for (const a of list) {
    if (!byKind.has(a.kind)) byKind.set(a.kind, new Map());
    const bySector = byKind.get(a.kind);
    const s = a.sector ?? NO_SECTOR;
    if (!bySector.has(s)) bySector.set(s, []);
    bySector.get(s).push(a);
  }
  for (const [k, bySector] of byKind) {
    const sorted = [...bySector.entries()].sort(([x], [y]) => sectorOrder(x) - sectorOrder(y));
    for (const [, items] of sorted) items.sort((x, y) => (y.votes ?? 0) - (x.votes ?? 0) || x.id - y.id);
    byKind.set(k, new Map(sorted));
  }
  return byKind;
}

const sectorLabel = (sectors, slug) => (slug === NO_SECTOR ? w.noSector : (sectors.get(slug)?.label ?? slug));

/** The table of counts: one row per sector, one column per kind, with totals. */
function summaryTable(grouped, kinds, sectors) {
  const table = el('table', 'rec-table');
  table.append(el('caption', null, r.table));
  const head = el('tr');
  const corner = el('th', null, r.sectorHeader);
  corner.scope = 'col';
  head.append(corner);
  const kindSlugs = [...grouped.keys()];
  for (const k of kindSlugs) {
    const th = el('th', null, kindOf(kinds, k).label);
    th.scope = 'col';
    head.append(th);
  }
  const totalHead = el('th', null, r.total);
  totalHead.scope = 'col';
  head.append(totalHead);
  const thead = el('thead');
  thead.append(head);
  const sectorSlugs = [];
  for (const bySector of grouped.values()) for (const s of bySector.keys()) if (!sectorSlugs.includes(s)) sectorSlugs.push(s);
  const order = (slug) => (slug === NO_SECTOR ? Infinity : (sectors.get(slug)?.position ?? 1e6));
  sectorSlugs.sort((x, y) => order(x) - order(y));
  const tbody = el('tbody');
  const totals = new Map();
  for (const s of sectorSlugs) {
    const tr = el('tr');
    const th = el('th', null, sectorLabel(sectors, s));
    th.scope = 'row';
    tr.append(th);
    let sum = 0;
    for (const k of kindSlugs) {
      const n = grouped.get(k).get(s)?.length ?? 0;
      sum += n;
      totals.set(k, (totals.get(k) ?? 0) + n);
      tr.append(el('td', null, String(n)));
    }
    tr.append(el('td', 'rec-table__total', String(sum)));
    tbody.append(tr);
  }
  const foot = el('tr');
  const footHead = el('th', null, r.total);
  footHead.scope = 'row';
  foot.append(footHead);
  let all = 0;
  for (const k of kindSlugs) {
    all += totals.get(k) ?? 0;
    foot.append(el('td', 'rec-table__total', String(totals.get(k) ?? 0)));
  }
  foot.append(el('td', 'rec-table__total', String(all)));
  const tfoot = el('tfoot');
  tfoot.append(foot);
  table.append(thead, tbody, tfoot);
  return table;
}

/** The list by kind, then sector: headings with counts, then each annotation's text, author, votes. */
function groupedList(grouped, kinds, sectors) {
  const wrap = el('div', 'rec-groups');
  for (const [k, bySector] of grouped) {
    const count = [...bySector.values()].reduce((n, items) => n + items.length, 0);
    if (count === 0) continue;
    const kind = kindOf(kinds, k);
    const section = el('section', 'rec-kind');
    section.dataset.kind = k;
    section.style.setProperty('--kind-color', kind.color);
    const h = el('h3', 'rec-kind__title');
    h.append(kindBadge(kind), el('span', 'rec-count', ` (${count})`));
    section.append(h);
    for (const [s, items] of bySector) {
      const sub = el('h4', 'rec-sector__title', `${sectorLabel(sectors, s)} (${items.length})`);
      const ol = el('ol', 'rec-list');
      for (const a of items) {
        const li = el('li', 'rec-item');
        li.dataset.id = String(a.id);
        li.append(el('p', 'rec-item__text', a.text ?? ''));
        const meta = el('p', 'rec-item__meta', annotationMeta({ ...a, sector: null, created_at: '' }, sectors, t));
        meta.append(el('span', 'rec-item__votes', ` · ${w.votes(a.votes ?? 0)}`));
        li.append(meta);
        ol.append(li);
      }
      section.append(sub, ol);
    }
    wrap.append(section);
  }
  return wrap;
}

/** The legend of kinds, with their counts. */
function legend(grouped, kinds) {
  const ul = el('ul', 'rec-legend__list');
  for (const k of kinds.values()) {
    const n = [...(grouped.get(k.slug)?.values() ?? [])].reduce((s, items) => s + items.length, 0);
    const li = el('li', 'rec-legend__item');
    li.append(kindBadge(k), el('span', 'rec-count', ` (${n})`));
    ul.append(li);
  }
  return ul;
}

/** Makes the export links download with the token (a plain link cannot send it). */
function exportLinks(container, id, token, notices) {
  const links = [];
  for (const [format, text] of [
    ['geojson', r.geojson],
    ['csv', r.csv],
  ]) {
    const a = el('a', 'button button--quiet', text);
    a.href = api.exportURL(id, format).href;
    a.id = `export-${format}`;
    a.setAttribute('download', '');
    if (token) {
      a.addEventListener('click', async (e) => {
        e.preventDefault();
        try {
          const blob = await api.fetchBlob(api.exportURL(id, format), token);
          const url = URL.createObjectURL(blob);
          const tmp = el('a');
          tmp.href = url;
          tmp.download = `atelier-${id}.${format}`;
          document.body.append(tmp);
          tmp.click();
          tmp.remove();
          setTimeout(() => URL.revokeObjectURL(url), 10000);
        } catch (err) {
          console.warn('maillage: export', err);
          notices.notice(r.exportFailed);
        }
      });
    }
    links.push(a);
  }
  const label = el('span', 'rec-actions__label', `${r.exports} :`);
  const print = button('button', r.print);
  print.id = 'record-print';
  print.addEventListener('click', () => window.print());
  container.replaceChildren(print, label, ...links);
}

async function start() {
  const shell = openShell();
  if (!shell) return;
  const { config, gate, notices, id, code } = shell;

  notices.loading();
  let token;
  let workshop;
  let list;
  let sectorItems;
  let tilejson;
  try {
    sectorItems = await fetchSectors();
    tilejson = await fetchTileJSON().catch(() => ({}));
    notices.done();
    ({ token, workshop } = await authorize(gate, id, code));
    notices.loading();
    list = (await api.listAnnotations(id, token)).filter(isVisible);
  } catch (err) {
    shell.fail(err);
    return;
  }
  notices.done();
  shell.reveal();

  const sectors = indexSectors(sectorItems);
  const kinds = indexKinds(workshop.kinds);
  document.getElementById('ws-title').textContent = workshop.title;
  document.getElementById('rec-date').textContent = workshop.date ? w.date(workshop.date) : '';
  document.getElementById('rec-description').textContent = workshop.description ?? '';
  document.getElementById('rec-printed').textContent = r.printed(
    new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeStyle: 'short' }).format(new Date()),
  );
  exportLinks(document.getElementById('rec-actions'), id, token, notices);

  const grouped = group(list, kinds, sectors);
  document.getElementById('rec-summary').textContent = r.summary(list.length);
  document.getElementById('rec-legend').append(legend(grouped, kinds));
  const body = document.getElementById('rec-body');
  if (list.length === 0) body.append(el('p', null, r.empty));
  else {
    document.getElementById('rec-table').append(summaryTable(grouped, kinds, sectors));
    body.append(el('h2', 'rec-body__title', r.byKind), groupedList(grouped, kinds, sectors));
  }
  const credits = [r.attribution];
  if (typeof tilejson.attribution === 'string' && tilejson.attribution.trim()) credits.push(tilejson.attribution.trim());
  document.getElementById('rec-attribution').textContent = credits.join(' ');

  const { map, addDataAttribution } = createPlainMap(document.getElementById('map'), config, t);
  addDataAttribution(tilejson.attribution);
  showTerritory(map, workshop);
  const layer = createAnnotationLayer(map, kinds, t, { size: 26 });
  layer.update(list);
  // The map is smaller on paper: fit it again when printing starts and ends.
  const fit = () => {
    map.invalidateSize({ animate: false });
    const b = layer.bounds();
    if (b) map.fitBounds(b, { padding: [24, 24], maxZoom: 16, animate: false });
  };
  fit();
  window.addEventListener('beforeprint', fit);
  window.addEventListener('afterprint', fit);
  window.matchMedia('print').addEventListener('change', fit);
  document.body.dataset.ready = 'true';
}

start();
