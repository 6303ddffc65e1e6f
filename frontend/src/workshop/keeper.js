// Entry point of the keepers' page (/ateliers): the workshops with their
// links, and the form that creates one (title, description, date, the
// territory as the map's view or a drawn zone, focus sectors). Someone
// signed in with an account that manages workshops (admin, keeper,
// animator) works through their session; anyone else is offered the
// sign-in page, or a keeper's token (a script's), entered once per tab.

import 'leaflet/dist/leaflet.css';
import '@geoman-io/leaflet-geoman-free/dist/leaflet-geoman.css';
import '../style.css';
import './workshop.css';

import { fetchSectors } from '../api.js';
import { button, el, labelFor } from '../dom.js';
import t from '../i18n/fr.js';
import { createSearch } from '../search.js';
import { indexSectors } from '../sectors.js';
import { loadSession } from '../session.js';
import { root } from '../urlstate.js';
import { askToken } from './access.js';
import * as api from './api.js';
import { createDrawing } from './draw.js';
import { createPlainMap } from './mapview.js';
import { keeperToken, saveKeeperToken } from './session.js';
import { openShell } from './shell.js';

const w = t.workshop;
const k = w.keeper;

const pageURL = (code, suffix = '') => new URL(`ateliers/${encodeURIComponent(code)}${suffix}`, root).href;

// The accounts' roles that manage workshops.
const MANAGERS = ['admin', 'keeper', 'animator'];

/** The gate's invitation to sign in, naming the account when it cannot manage workshops. */
function signInLead(session) {
  const p = el('p', 'keeper-signin');
  if (session) p.append(k.wrongRole(session.user.email, t.signin.roles[session.user.role] ?? session.user.role), ' ');
  else p.append(k.signInIntro, ' ');
  p.append(link(k.signIn, new URL('connexion?suite=/ateliers', root).href));
  return [p];
}

/**
 * Gets the rights to manage workshops and their first page: {auth,
 * session, page}, auth being {csrf} for someone signed in with an
 * account that may, else {token}, a keeper's token typed in the gate.
 */
async function authorize(gate) {
  let session = null;
  try {
    session = await loadSession();
  } catch (err) {
    console.warn('maillage: session', err);
  }
  if (session && MANAGERS.includes(session.user.role)) {
    const auth = { csrf: session.csrf_token };
    try {
      return { auth, session, page: await api.listWorkshops(auth, { limit: '100' }) };
    } catch (err) {
      if (err.status !== 401 && err.status !== 403) throw err;
      session = null; // ended meanwhile
    }
  }
  let bad = false;
  for (;;) {
    const token = keeperToken();
    if (token) {
      try {
        const auth = { token };
        return { auth, session: null, page: await api.listWorkshops(auth, { limit: '100' }) };
      } catch (err) {
        if (err.status !== 401 && err.status !== 403) throw err;
        saveKeeperToken('');
        bad = true;
      }
    }
    saveKeeperToken(await askToken(gate, t, w.access.keeperIntro, { bad, lead: signInLead(session) }));
  }
}

/** A link that opens in the same tab. */
function link(text, href) {
  const a = el('a', null, text);
  a.href = href;
  return a;
}

/** Fills the table of workshops. */
function renderList(container, items) {
  if (items.length === 0) {
    container.replaceChildren(el('p', null, k.none));
    return;
  }
  const table = el('table', 'rec-table keeper-table');
  table.append(el('caption', 'visually-hidden', k.list));
  const head = el('tr');
  for (const text of Object.values(k.columns)) {
    const th = el('th', null, text);
    th.scope = 'col';
    head.append(th);
  }
  const thead = el('thead');
  thead.append(head);
  const tbody = el('tbody');
  for (const ws of items) {
    const tr = el('tr');
    tr.dataset.code = ws.code;
    const title = el('th', null, ws.title);
    title.scope = 'row';
    const links = el('td', 'keeper-table__links');
    links.append(
      link(k.projection, pageURL(ws.code, '/projection')),
      link(k.participant, pageURL(ws.code)),
      link(k.record, pageURL(ws.code, '/synthese')),
    );
    const status = w.status[ws.status] ?? ws.status;
    tr.append(
      title,
      el('td', null, ws.date ? w.date(ws.date) : ''),
      el('td', 'keeper-table__code', ws.code),
      el('td', null, ws.published ? `${status} · ${w.published}` : status),
      links,
    );
    tbody.append(tr);
  }
  table.append(thead, tbody);
  container.replaceChildren(table);
}

/** A read-only field with a copy button, for a link to hand out. */
function copyField(id, labelText, value) {
  const wrap = el('div', 'field');
  const input = el('input', 'field__input');
  input.id = id;
  input.readOnly = true;
  input.value = value;
  const copy = button('button button--quiet', k.copy);
  const done = el('span', 'field__hint');
  done.setAttribute('aria-live', 'polite');
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(value);
      done.textContent = k.copied;
    } catch {
      input.select();
      done.textContent = t.share.copyFailed;
    }
  });
  const row = el('div', 'field__row');
  row.append(input, copy);
  wrap.append(labelFor(id, labelText), row, done);
  return wrap;
}

function field(id, labelText, control) {
  const wrap = el('div', 'field');
  control.id = id;
  control.classList.add('field__input');
  wrap.append(labelFor(id, labelText), control);
  return wrap;
}

async function start() {
  const shell = openShell({ needsWorkshop: false });
  const { config, gate, notices } = shell;

  let auth;
  let session;
  let first;
  let sectorItems;
  try {
    sectorItems = await fetchSectors();
    notices.done();
    ({ auth, session, page: first } = await authorize(gate));
  } catch (err) {
    shell.fail(err);
    return;
  }
  shell.reveal();
  const listNode = document.getElementById('keeper-list');
  renderList(listNode, first.items ?? []);
  const changeToken = document.getElementById('keeper-token');
  if (session) {
    // Signed in: who, and the sign-in page to sign out.
    changeToken.hidden = true;
    const who = document.getElementById('keeper-account');
    who.append(
      t.signin.who(session.user.email, t.signin.roles[session.user.role] ?? session.user.role),
      ' ',
      link(k.account, new URL('connexion?suite=/ateliers', root).href),
    );
    who.hidden = false;
  }
  changeToken.addEventListener('click', () => {
    saveKeeperToken('');
    window.location.reload();
  });

  // The creation form.
  const form = document.getElementById('keeper-form');
  const title = el('input');
  title.required = true;
  title.maxLength = 200;
  const description = el('textarea');
  description.rows = 3;
  const date = el('input');
  date.type = 'date';
  date.required = true;
  date.value = new Date().toISOString().slice(0, 10);

  const territory = el('fieldset', 'keeper-territory');
  territory.append(el('legend', null, k.territory), el('p', 'field__hint', k.territoryHint));
  const search = el('div', 'keeper-search');
  const mapNode = el('div', 'map keeper-map');
  mapNode.id = 'keeper-map';
  const zoneRow = el('div', 'field__row');
  const drawZone = button('button button--quiet', k.drawZone);
  const finish = button('button', w.compose.finish);
  finish.hidden = true;
  const clearZone = button('button button--quiet', k.clearZone);
  clearZone.hidden = true;
  const zoneState = el('p', 'field__hint');
  zoneState.setAttribute('aria-live', 'polite');
  zoneRow.append(drawZone, finish, clearZone);
  territory.append(search, mapNode, zoneRow, zoneState);

  const sectors = indexSectors(sectorItems);
  const sectorSet = el('fieldset', 'keeper-sectors');
  sectorSet.append(el('legend', null, k.sectors));
  for (const s of [...sectors.values()].sort((a, b) => a.position - b.position)) {
    const label = el('label', 'keeper-sector');
    const box = el('input');
    box.type = 'checkbox';
    box.name = 'sector';
    box.value = s.slug;
    label.append(box, ` ${s.label}`);
    sectorSet.append(label);
  }

  const error = el('p', 'compose__error');
  error.setAttribute('role', 'alert');
  const submit = el('button', 'button button--send', k.submit);
  submit.type = 'submit';
  submit.id = 'keeper-submit';
  const result = el('section', 'keeper-result');
  result.setAttribute('aria-live', 'polite');
  result.hidden = true;
  form.append(
    field('keeper-title', k.titleLabel, title),
    field('keeper-description', k.descriptionLabel, description),
    field('keeper-date', k.dateLabel, date),
    territory,
    sectorSet,
    error,
    submit,
  );
  form.after(result);

  const { map } = createPlainMap(mapNode, config, t);
  let zone = null;
  const drawing = createDrawing(map, {
    onGeometry: (g) => {
      zone = g?.type === 'Polygon' ? g : null;
      clearZone.hidden = zone === null;
      zoneState.textContent = zone ? k.zoneDrawn : '';
    },
    onMode: (m) => {
      finish.hidden = m !== 'zone';
      drawZone.hidden = m === 'zone';
    },
  });
  drawing.setColor('#0f172a');
  drawZone.addEventListener('click', () =>
    drawing.start('zone').catch((err) => {
      console.error('maillage: drawing tool', err);
      notices.notice(w.compose.drawFailed);
    }),
  );
  finish.addEventListener('click', () => drawing.finish());
  clearZone.addEventListener('click', () => drawing.set(null));
  createSearch(search, t, {
    onPlace: (latlng, zoom) => map.setView(latlng, Math.min(zoom, 14)),
    onActor: (a) => {
      const c = a.location?.coordinates;
      if (Array.isArray(c)) map.setView([c[1], c[0]], 14);
    },
    notice: (text) => notices.notice(text),
  });

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.textContent = '';
    if (!title.value.trim() || !date.value) {
      error.textContent = k.invalid([!title.value.trim() && k.titleLabel, !date.value && k.dateLabel].filter(Boolean).join(', '));
      return;
    }
    const b = map.getBounds();
    const body = {
      title: title.value.trim(),
      description: description.value.trim(),
      date: date.value,
      sectors: [...sectorSet.querySelectorAll('input:checked')].map((x) => x.value),
    };
    if (zone) body.zone = zone;
    else body.bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => Number(v.toFixed(6)));
    submit.disabled = true;
    try {
      const created = await api.createWorkshop(body, auth);
      const heading = el('h2', 'keeper-result__title', k.created(created.code));
      heading.tabIndex = -1;
      result.replaceChildren(
        heading,
        copyField('keeper-participant-url', k.participantLink, pageURL(created.code)),
        copyField('keeper-animator-url', k.animatorLink, new URL(created.animator_url, root).href),
      );
      result.hidden = false;
      heading.focus();
      form.reset();
      date.value = new Date().toISOString().slice(0, 10);
      drawing.set(null);
      renderList(listNode, (await api.listWorkshops(auth, { limit: '100' })).items ?? []);
    } catch (err) {
      console.warn('maillage: create workshop', err);
      const fields = Object.entries(err.fields ?? {}).map(([f, why]) => `${f} : ${why}`);
      error.textContent = fields.length ? k.invalid(fields.join(' ; ')) : err.serverMessage || k.failed;
    } finally {
      submit.disabled = false;
    }
  });
}

start();
