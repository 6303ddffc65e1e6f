// The moderation page (/moderation): the public's suggestions, oldest
// first, each with its fields beside the current actor's (a correction)
// or its duplicate candidate's, editable before accepting; accept,
// reject with a reason, or merge into the duplicate. Every text from a
// suggestion is inserted as text.

import 'leaflet/dist/leaflet.css';
import './moderation.css';
import L from 'leaflet';
import t from './i18n/fr.js';
import { readConfig } from './config.js';
import { el } from './dom.js';
import { loadSession, sessionWrite } from './session.js';
import { root } from './urlstate.js';

const tm = t.moderation;
const moderators = new Set(['admin', 'keeper', 'moderator']);
const FIELDS = ['name', 'street', 'postcode', 'city', 'siret', 'website', 'description', 'sectors'];
const $ = (id) => document.getElementById(id);
const status = $('moderation-status');
const say = (text) => {
  status.textContent = text;
};

// The value of field of an actor in the API's JSON.
function actorValue(actor, field) {
  if (!actor) return '';
  if (field === 'sectors') return (actor.sectors ?? []).join(', ');
  if (['street', 'postcode', 'city'].includes(field)) return actor.address?.[field] ?? '';
  return actor[field] ?? '';
}

function proposedValue(fields, field) {
  const v = fields[field];
  if (v === undefined || v === null) return undefined;
  return Array.isArray(v) ? v.join(', ') : String(v);
}

let map = null;
function showOnMap(items) {
  map = map ?? L.map('moderation-map').setView([46.6, 2.4], 5);
  if (!map.tilesAdded) {
    const config = readConfig();
    L.tileLayer(config.basemapURL, { attribution: config.basemapAttribution || t.osmAttribution }).addTo(map);
    map.tilesAdded = true;
  }
  const points = [];
  for (const s of items) {
    const loc = s.fields.location;
    if (!loc) continue;
    const latlng = [loc[1], loc[0]];
    points.push(latlng);
    L.circleMarker(latlng, { radius: 7 }).bindTooltip(proposedValue(s.fields, 'name') ?? tm.correction).addTo(map);
  }
  if (points.length) map.fitBounds(points, { maxZoom: 15, padding: [20, 20] });
}

async function decide(id, action, body) {
  await sessionWrite('POST', `api/suggestions/${encodeURIComponent(id)}/${action}`, body);
}

function render(item) {
  const li = el('li', 'suggestion');
  li.dataset.id = item.id;
  const current = item.actor ?? null;
  const title = current ? tm.correctionOf(current.name) : tm.newStructure(proposedValue(item.fields, 'name') ?? '');
  li.append(el('h2', '', title));
  li.append(el('p', '', tm.received(new Date(item.created_at).toLocaleString('fr-FR'))));
  if (item.duplicate) {
    const d = el('p', 'duplicate', tm.duplicate(item.duplicate.name, tm.reasons[item.duplicate.reason] ?? item.duplicate.reason));
    li.append(d);
  }
  const compare = current ?? item.duplicate_actor;
  const table = el('table');
  const head = el('tr');
  head.append(el('th', '', tm.field), el('th', '', current ? tm.current : tm.duplicateColumn), el('th', '', tm.proposed));
  table.append(head);
  const inputs = {};
  for (const f of FIELDS) {
    const proposed = proposedValue(item.fields, f);
    if (proposed === undefined && !current) continue;
    const tr = el('tr');
    const before = actorValue(compare, f);
    const cell = el('td');
    const input = el('input');
    input.name = f;
    input.value = proposed ?? '';
    input.setAttribute('aria-label', `${tm.fields[f] ?? f} (${tm.proposed})`);
    inputs[f] = { input, given: proposed !== undefined };
    cell.append(input);
    if (proposed !== undefined && proposed !== before) cell.classList.add('changed');
    tr.append(el('th', '', tm.fields[f] ?? f), el('td', '', before), cell);
    table.append(tr);
  }
  li.append(table);

  const actions = el('div', 'actions');
  const accept = el('button', '', tm.accept);
  const reason = el('input');
  reason.placeholder = tm.reasonPlaceholder;
  reason.setAttribute('aria-label', tm.reasonPlaceholder);
  const reject = el('button', '', tm.reject);
  actions.append(accept);
  if (item.duplicate) {
    const merge = el('button', '', tm.merge(item.duplicate.name));
    merge.className = 'merge';
    merge.addEventListener('click', () => act(li, 'merge', { actor_id: item.duplicate.actor_id }));
    actions.append(merge);
  }
  actions.append(reason, reject);
  accept.addEventListener('click', () => {
    const fields = {};
    for (const [f, { input, given }] of Object.entries(inputs)) {
      const v = input.value.trim();
      if (!given && v === actorValue(current, f)) continue;
      if (!given && v === '') continue;
      fields[f] = f === 'sectors' ? v.split(',').map((x) => x.trim()).filter(Boolean) : v;
    }
    act(li, 'accept', { fields });
  });
  reject.addEventListener('click', () => {
    if (!reason.value.trim()) {
      say(tm.reasonRequired);
      reason.focus();
      return;
    }
    act(li, 'reject', { reason: reason.value.trim() });
  });
  li.append(actions);
  return li;
}

async function act(li, action, body) {
  try {
    await decide(li.dataset.id, action, body);
    li.remove();
    say(tm.done[action]);
  } catch (err) {
    console.error('maillage:', err);
    say(err.status === 400 ? tm.invalid : tm.failed);
  }
}

async function start() {
  let session;
  try {
    session = await loadSession();
  } catch {
    say(tm.failed);
    return;
  }
  if (!session) {
    location.assign(new URL('connexion?suite=/moderation', root));
    return;
  }
  if (!moderators.has(session.user.role)) {
    say(tm.notAllowed);
    return;
  }
  const res = await fetch(new URL('api/suggestions', root), { headers: { Accept: 'application/json' } });
  if (!res.ok) {
    say(tm.failed);
    return;
  }
  const { items, pending } = await res.json();
  say(pending ? tm.pending(pending) : tm.empty);
  const queue = $('moderation-queue');
  for (const item of items) queue.append(render(item));
  showOnMap(items);
}

start();
