// Entry point of the projection (/ateliers/{code}/projection), for the
// animator and the wall, at 1920 x 1080: the territory's actors and the
// workshop's annotations, how to join, the live feed, counters, filters
// and the animator's controls.

import 'leaflet/dist/leaflet.css';
import '../style.css';
import './workshop.css';

import { fetchSectors, fetchTileJSON } from '../api.js';
import { createMap } from '../map.js';
import t from '../i18n/fr.js';
import { indexSectors } from '../sectors.js';
import { root } from '../urlstate.js';
import { askToken } from './access.js';
import * as api from './api.js';
import { createAnnotations } from './annotations.js';
import { createControls } from './controls.js';
import { createCounters } from './counters.js';
import { createFeed } from './feed.js';
import { createFilters } from './filters.js';
import { createJoinBox } from './joinbox.js';
import { indexKinds } from './kinds.js';
import { createAnnotationLayer } from './layer.js';
import { applyAnnotationEvent, connectEvents } from './live.js';
import { labelMap, showTerritory } from './mapview.js';
import { createSelection } from './selection.js';
import { animatorSecret, keeperToken, saveAnimatorSecret, saveKeeperToken, saveTypedToken, takeSecretFromURL } from './session.js';
import { openShell } from './shell.js';

const w = t.workshop;
const p = w.projection;

/** Gets a token with animator rights on workshop id, asking for one when needed. Resolves with {token, workshop}. */
async function authorize(gate, id, code) {
  takeSecretFromURL(code);
  let bad = false;
  for (;;) {
    const token = animatorSecret(code) || keeperToken();
    if (token) {
      try {
        const workshop = await api.getWorkshop(id, token);
        if (workshop.role === 'animator' || workshop.role === 'keeper') return { token, workshop };
      } catch (err) {
        if (err.status !== 401 && err.status !== 403 && err.status !== 404) throw err;
      }
      // Refused: forget it and ask.
      if (token === animatorSecret(code)) saveAnimatorSecret(code, '');
      else saveKeeperToken('');
      bad = true;
    }
    saveTypedToken(code, await askToken(gate, t, w.access.animatorIntro, { bad }));
  }
}

async function start() {
  const shell = openShell();
  if (!shell) return;
  const { config, gate, notices, id, code } = shell;

  notices.loading();
  let token;
  let workshop;
  let sectorItems;
  let tilejson;
  try {
    sectorItems = await fetchSectors();
    tilejson = await fetchTileJSON().catch(() => ({}));
    notices.done();
    ({ token, workshop } = await authorize(gate, id, code));
  } catch (err) {
    shell.fail(err);
    return;
  }
  shell.reveal();
  const title = document.getElementById('ws-title');
  title.textContent = workshop.title;
  const statusNode = document.getElementById('ws-status');

  const sectors = indexSectors(sectorItems);
  const kinds = indexKinds(workshop.kinds);
  const visible = new Set(sectors.keys());
  const focusSectors = Array.isArray(workshop.sectors) ? workshop.sectors : [];

  const view = createMap(document.getElementById('map'), config, t, {
    sectors,
    visible,
    onBasemapError: () => notices.notice(t.basemapError),
    onActorClick: (hit) => notices.notice(hit.name),
  });
  const { map } = view;
  labelMap(map.getContainer(), t);
  view.addDataAttribution(tilejson.attribution);
  showTerritory(map, workshop, { padding: 32 });

  let selected = null;
  const annotations = createAnnotations(() => redraw());
  const layer = createAnnotationLayer(map, kinds, t, { size: 46, onSelect: (aid) => select(aid) });
  const counters = createCounters(document.getElementById('counters'), t, kinds);
  const feed = createFeed(document.getElementById('feed'), t, { kinds, sectors, onSelect: (aid) => select(aid) });
  const filters = createFilters(document.getElementById('filters'), t, {
    kinds,
    sectors,
    focusSectors,
    onChange: () => {
      const s = filters.sector();
      visible.clear();
      for (const slug of sectors.keys()) if (!s || slug === s) visible.add(slug);
      view.actors.redraw();
      layer.setFilter(filters.keep);
      redraw();
    },
  });
  layer.setFilter(filters.keep);

  async function act(f) {
    try {
      return await f();
    } catch (err) {
      console.warn('maillage: animator action', err);
      notices.notice(err.serverMessage ? `${p.actionFailed} ${err.serverMessage}` : p.actionFailed);
      return null;
    }
  }

  const selection = createSelection(document.getElementById('selection'), t, {
    kinds,
    sectors,
    onHide: (a, hidden) =>
      act(async () => annotations.upsert(await api.patchAnnotation(id, a.id, { state: hidden ? 'hidden' : 'visible' }, token))),
    onPin: (a, pinned) => act(async () => annotations.upsert(await api.patchAnnotation(id, a.id, { pinned }, token))),
    onEdit: (a, text) => act(async () => annotations.upsert(await api.patchAnnotation(id, a.id, { text }, token))),
    onShowAll: (a) => act(() => pushView(a.id)),
    onClose: () => select(null),
  });

  function select(aid) {
    selected = aid;
    layer.select(aid);
    if (aid !== null) {
      const b = layer.boundsOf(aid);
      if (b && !map.getBounds().contains(b)) map.fitBounds(b, { maxZoom: Math.max(map.getZoom(), 15), padding: [64, 64] });
    }
    redraw();
  }

  async function pushView(annotationId = null) {
    let center = map.getCenter();
    if (annotationId !== null) center = layer.centerOf(annotationId) ?? center;
    const v = await api.putView(
      id,
      { center: [Number(center.lng.toFixed(6)), Number(center.lat.toFixed(6))], zoom: map.getZoom(), annotation_id: annotationId },
      token,
    );
    workshop.view = v;
    notices.notice(p.pushed);
  }

  const controls = createControls(document.getElementById('controls'), t, {
    onStatus: (status) =>
      act(async () => {
        const next = await api.patchWorkshop(id, { status }, token);
        setWorkshop(next);
        notices.notice(status === 'open' ? p.opened : p.closed);
      }),
    onPublish: (published) => act(async () => setWorkshop(await api.patchWorkshop(id, { published }, token))),
    onPushView: () => act(() => pushView(selected)),
    recordURL: () => {
      const url = new URL(`ateliers/${encodeURIComponent(code)}/synthese`, root);
      const secret = animatorSecret(code);
      if (secret) url.hash = `secret=${encodeURIComponent(secret)}`;
      return url.href;
    },
  });

  function setWorkshop(next) {
    workshop = { ...workshop, ...next, role: workshop.role };
    title.textContent = workshop.title;
    statusNode.textContent = w.status[workshop.status] ?? workshop.status;
    statusNode.dataset.status = workshop.status;
    document.body.dataset.status = workshop.status;
    controls.render(workshop);
  }

  function redraw() {
    const all = annotations.all();
    layer.update(all);
    counters.update(all);
    const kept = all.filter(filters.keep);
    feed.update(kept, selected);
    if (selected !== null && !annotations.get(selected)) selected = null;
    selection.show(selected === null ? null : annotations.get(selected));
  }

  await createJoinBox(document.getElementById('joinbox'), t, {
    url: new URL(`ateliers/${encodeURIComponent(code)}`, root).href,
    code,
  }).catch((err) => console.error('maillage: QR code', err));

  const live = document.getElementById('ws-live');
  const stream = connectEvents(id, token, {
    onState: (s) => {
      live.textContent = s === 'live' ? w.live : w.reconnecting;
      live.dataset.state = s;
    },
    onEvent: (event, data) => {
      if (applyAnnotationEvent(annotations, event, data, { seeHidden: true })) return;
      if (event === 'status') setWorkshop({ status: data.status, published: data.published });
      else if (event === 'workshop.changed') setWorkshop(data);
      else if (event === 'view') workshop.view = data;
    },
  });
  await stream.ready;
  try {
    annotations.set(await api.listAnnotations(id, token));
  } catch (err) {
    console.error('maillage:', err);
    notices.notice(w.failed);
  }
  setWorkshop(workshop);
  document.body.dataset.ready = 'true';
}

start();
