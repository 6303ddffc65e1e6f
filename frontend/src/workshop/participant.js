// Entry point of the participant's page (/ateliers/{code}), phone first:
// join with a name or anonymously, place annotations, see everyone's live,
// vote, and follow the animator's view.

import 'leaflet/dist/leaflet.css';
import '@geoman-io/leaflet-geoman-free/dist/leaflet-geoman.css';
import '../style.css';
import './workshop.css';

import { fetchSectors, fetchTileJSON } from '../api.js';
import { createMap } from '../map.js';
import { el, labelFor } from '../dom.js';
import t from '../i18n/fr.js';
import { indexSectors } from '../sectors.js';
import { readStored, writeStored } from '../storage.js';
import { root } from '../urlstate.js';
import * as api from './api.js';
import { createAnnotationList } from './annotationlist.js';
import { createAnnotations, isVisible } from './annotations.js';
import { createComposer } from './compose.js';
import { createDrawing } from './draw.js';
import { indexKinds } from './kinds.js';
import { createAnnotationLayer } from './layer.js';
import { applyAnnotationEvent, connectEvents } from './live.js';
import { labelMap, showTerritory } from './mapview.js';
import { forgetParticipant, participantName, participantToken, saveParticipant } from './session.js';
import { openShell } from './shell.js';

const w = t.workshop;
const FOLLOW_KEY = 'maillage.workshop.follow';

/** Shows the join form in gate; resolves with {token, name, workshop} once joined. */
function join(gate, code, notices) {
  return new Promise((resolve) => {
    const form = el('form', 'ws-block join');
    form.append(el('h2', 'ws-block__title', w.join.title));
    const input = el('input', 'field__input');
    input.id = 'join-name';
    input.type = 'text';
    input.maxLength = 80;
    input.autocomplete = 'nickname';
    input.setAttribute('aria-describedby', 'join-hint');
    input.value = participantName(code);
    const hint = el('p', 'field__hint', w.join.nameHint);
    hint.id = 'join-hint';
    const error = el('p', 'compose__error');
    error.setAttribute('role', 'alert');
    const submit = el('button', 'button button--send', w.join.submit);
    submit.type = 'submit';
    submit.id = 'join-submit';
    form.append(labelFor('join-name', w.join.nameLabel), input, hint, error, submit);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      submit.disabled = true;
      error.textContent = '';
      const name = input.value.trim();
      try {
        const res = await api.joinWorkshop(code);
        saveParticipant(code, res.token, name);
        resolve({ token: res.token, name, workshop: res.workshop });
      } catch (err) {
        console.warn('maillage: join', err);
        if (err.status === 404) {
          notices.block(gate, w.notFoundTitle, w.notFoundBody, { label: w.backToMap, href: root.href });
          return;
        }
        error.textContent = err.status === 429 ? w.join.tooMany : w.join.failed;
      } finally {
        submit.disabled = false;
      }
    });
    gate.replaceChildren(form);
    gate.hidden = false;
    input.focus();
  });
}

async function start() {
  const shell = openShell();
  if (!shell) return;
  const { config, gate, notices, id, code } = shell;

  notices.loading();
  let token = participantToken(code);
  let name = participantName(code);
  let workshop = null;
  let sectorItems;
  let tilejson;
  try {
    sectorItems = await fetchSectors();
    tilejson = await fetchTileJSON().catch(() => ({}));
    for (;;) {
      if (!token) {
        notices.done();
        ({ token, name } = await join(gate, code, notices));
        notices.loading();
      }
      try {
        workshop = await api.getWorkshop(id, token);
        break;
      } catch (err) {
        if (err.status !== 401 && err.status !== 403) throw err;
        forgetParticipant(code); // a stale token: join again
        token = '';
      }
    }
  } catch (err) {
    shell.fail(err);
    return;
  }
  shell.reveal();
  document.getElementById('ws-title').textContent = workshop.title;
  const status = document.getElementById('ws-status');
  const whoami = document.getElementById('ws-whoami');
  whoami.textContent = name ? w.join.as(name) : w.join.asAnonymous;

  const sectors = indexSectors(sectorItems);
  const kinds = indexKinds(workshop.kinds);
  const visible = new Set(sectors.keys());
  const mapWrap = document.getElementById('map-wrap');

  let composer = null;
  const view = createMap(document.getElementById('map'), config, t, {
    sectors,
    visible,
    onBasemapError: () => notices.notice(t.basemapError),
    onActorClick: (hit) => {
      if (composer?.linkActor({ id: hit.id, name: hit.name })) notices.notice(w.compose.actorLinked(hit.name));
      else notices.notice(hit.name);
    },
    ignoreClick: () => composer?.placing() ?? false,
  });
  const { map } = view;
  labelMap(map.getContainer(), t);
  view.addDataAttribution(tilejson.attribution);
  showTerritory(map, workshop);

  const layer = createAnnotationLayer(map, kinds, t, { size: 30 });
  const drawing = createDrawing(map, {
    onGeometry: (g) => composer?.onGeometry(g),
    onMode: (m) => composer?.onMode(m),
  });

  const annotations = createAnnotations(() => redraw());
  const list = createAnnotationList(document.getElementById('wlist'), t, {
    kinds,
    sectors,
    notice: (text) => notices.notice(text),
    onVote: async (a) => {
      const res = await api.vote(id, a.id, !a.voted, token);
      annotations.patch(a.id, { votes: res.votes, voted: res.voted });
    },
    onShow: (a) => {
      const b = layer.boundsOf(a.id);
      if (b) map.fitBounds(b, { maxZoom: Math.max(map.getZoom(), 16), padding: [32, 32] });
      layer.select(a.id);
      mapWrap.scrollIntoView({ block: 'start' });
    },
    onEdit: async (a, text) => annotations.upsert(await api.patchAnnotation(id, a.id, { text }, token)),
    onDelete: async (a) => {
      await api.deleteAnnotation(id, a.id, token);
      annotations.remove(a.id);
    },
  });

  composer = createComposer(document.getElementById('compose'), t, {
    kinds,
    sectors,
    focusSectors: Array.isArray(workshop.sectors) ? workshop.sectors : [],
    drawing,
    notice: (text) => notices.notice(text),
    onWantMap: () => mapWrap.scrollIntoView({ block: 'start' }),
    onSend: async (body) => {
      try {
        const a = await api.postAnnotation(id, { ...body, author_name: name }, token);
        annotations.upsert(a);
        return a;
      } catch (err) {
        if (err.status === 409) setStatus('closed', workshop.published);
        throw err;
      }
    },
  });

  function redraw() {
    const shown = annotations.all().filter(isVisible);
    layer.update(shown);
    list.update(shown, { open: workshop.status === 'open' });
  }

  function setStatus(s, published) {
    workshop.status = s;
    workshop.published = Boolean(published);
    status.textContent = w.status[s] ?? s;
    status.dataset.status = s;
    document.body.dataset.status = s;
    const message = s === 'open' ? '' : s === 'closed' ? w.closedNotice : w.draftNotice;
    composer.setEnabled(s === 'open', message);
    redraw();
  }

  // Following the animator's view.
  const followBox = document.getElementById('follow');
  const follow = el('input');
  follow.type = 'checkbox';
  follow.id = 'follow-input';
  follow.checked = readStored(FOLLOW_KEY) !== 'no';
  const followLabel = labelFor('follow-input', w.follow, 'follow__label');
  followLabel.prepend(follow);
  const followHint = el('p', 'field__hint', w.followHint);
  followBox.replaceChildren(followLabel, followHint);

  function applyView(v) {
    if (!follow.checked || !v || !Array.isArray(v.center)) return;
    const [lon, lat] = v.center;
    if (!Number.isFinite(lon) || !Number.isFinite(lat)) return;
    map.setView([lat, lon], Number.isFinite(v.zoom) ? v.zoom : map.getZoom());
    layer.select(Number.isInteger(v.annotation_id) ? v.annotation_id : null);
    map.getContainer().dataset.followed = String(v.annotation_id ?? '');
  }
  follow.addEventListener('change', () => {
    writeStored(FOLLOW_KEY, follow.checked ? '' : 'no');
    if (follow.checked) applyView(workshop.view);
  });

  // Live: subscribe first, then load, so that nothing falls in between.
  const live = document.getElementById('ws-live');
  const stream = connectEvents(id, token, {
    onState: (s) => {
      live.textContent = s === 'live' ? w.live : w.reconnecting;
      live.dataset.state = s;
    },
    onEvent: (event, data) => {
      if (event === 'annotation.hidden' && annotations.get(Number(data.id))?.mine) notices.notice(w.list.hiddenMine);
      if (applyAnnotationEvent(annotations, event, data)) return;
      if (event === 'status') setStatus(data.status, data.published);
      else if (event === 'view') {
        workshop.view = data;
        applyView(data);
      } else if (event === 'workshop.changed') {
        Object.assign(workshop, data, { role: workshop.role });
        document.getElementById('ws-title').textContent = workshop.title;
      }
    },
  });
  await stream.ready;
  try {
    annotations.set(await api.listAnnotations(id, token));
  } catch (err) {
    console.error('maillage:', err);
    notices.notice(w.failed);
  }
  notices.done();
  setStatus(workshop.status, workshop.published);
  applyView(workshop.view);
  document.body.dataset.ready = 'true';
}

start();
