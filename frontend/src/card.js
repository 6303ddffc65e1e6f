// The card of one actor, shown in the details panel. All actor data is
// inserted as text: it comes from imported files.

import { fetchActor } from './api.js';
import { el } from './dom.js';
import { actorSectors, sectorBadge } from './sectors.js';

/** Returns the URL if it is an absolute http(s) URL, else null. */
export function safeWebURL(raw) {
  if (typeof raw !== 'string' || raw.trim() === '') return null;
  let url;
  try {
    url = new URL(raw.trim());
  } catch {
    return null;
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? url : null;
}

// Words kept in capitals when an all-caps name is recased.
const ACRONYMS = new Set(
  'SA SAS SASU SARL EURL SCOP SCIC SCI GIE GEIQ ACI AI EI ETTI EITI EA ESAT ESS CCAS CIAS ADMR MJC AMAP SNC SEM CAE CAF EPCI CRESS UES'.split(' '),
);
const SMALL = new Set('de du des la le les et à au aux en pour sur par d l'.split(' '));

/**
 * Returns a name written all in capitals (as administrative files give
 * them) in ordinary casing, keeping acronyms; other names are kept as is.
 */
export function saneCase(name) {
  if (!/\p{Lu}{3}/u.test(name) || /\p{Ll}/u.test(name)) return name;
  let first = true;
  return name.replace(/[\p{L}\p{N}]+/gu, (w) => {
    const lower = w.toLocaleLowerCase('fr');
    const out = ACRONYMS.has(w)
      ? w
      : !first && SMALL.has(lower)
        ? lower
        : lower.charAt(0).toLocaleUpperCase('fr') + lower.slice(1);
    first = false;
    return out;
  });
}

/** Whether the reader is on a touch device, where geo: links open a maps app. */
function touchDevice() {
  return typeof matchMedia === 'function' && matchMedia('(pointer: coarse)').matches;
}

/** Returns the directions link to a [lon, lat] point. */
export function directionsURL(coords, touch = touchDevice()) {
  const [lon, lat] = coords.map((v) => Number(v).toFixed(6).replace(/\.?0+$/, ''));
  return touch ? `geo:${lat},${lon}` : `https://www.openstreetmap.org/directions?route=%3B${lat}%2C${lon}`;
}

function str(v) {
  return typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : '';
}

function row(dl, label, content) {
  dl.append(el('dt', null, label));
  const dd = el('dd');
  dd.append(content);
  dl.append(dd);
}

/** Builds the card of an actor as GET api/actors/{id} returns it. */
export function actorCard(actor, sectors, t, link) {
  const card = el('article', 'actor-card');
  const title = el('h2', 'actor-card__name', saneCase(str(actor.name)) || '—');
  title.id = 'details-title';
  title.tabIndex = -1;
  card.append(title);

  const dl = el('dl', 'actor-card__facts');

  const slugs = actorSectors(actor);
  if (slugs.length > 0) {
    const list = el('ul', 'actor-card__sectors');
    for (const slug of slugs) {
      const s = sectors.get(slug);
      const item = el('li');
      item.append(sectorBadge(s), document.createTextNode(s ? s.label : slug));
      list.append(item);
    }
    row(dl, t.card.sectors, list);
  }

  const kind = str(actor.kind);
  if (kind) {
    const label = Object.prototype.hasOwnProperty.call(t.kinds, kind) ? `${t.kinds[kind]} (${kind})` : kind;
    row(dl, t.card.kind, document.createTextNode(label));
  }
  const legal = str(actor.legal_form?.label);
  if (legal) row(dl, t.card.legalForm, document.createTextNode(legal));

  const a = actor.address ?? {};
  const place = [str(a.postcode), str(a.city)].filter(Boolean).join(' ');
  const street = str(a.street);
  const coords = actor.location?.coordinates;
  if (street || place || Array.isArray(coords)) {
    const addr = el('address');
    if (street) addr.append(el('span', 'actor-card__line', street));
    if (place) addr.append(el('span', 'actor-card__line', place));
    if (Array.isArray(coords) && coords.length === 2) {
      const go = el('a', 'actor-card__directions', t.card.directions);
      go.href = directionsURL(coords);
      if (go.href.startsWith('http')) {
        go.target = '_blank';
        go.rel = 'noopener noreferrer';
      }
      addr.append(el('span', 'actor-card__line', ''));
      addr.lastChild.append(go);
    }
    row(dl, t.card.address, addr);
  }

  const url = safeWebURL(actor.website);
  if (url) {
    const link = el('a', null, url.host + (url.pathname === '/' ? '' : url.pathname));
    link.href = url.href;
    link.target = '_blank';
    link.rel = 'noopener noreferrer';
    link.append(el('span', 'visually-hidden', ` ${t.card.newTab}`));
    row(dl, t.card.website, link);
  }

  // The API gives contacts to the public only when their publication is consented.
  const email = str(actor.email);
  if (email && /^[^\s@<>]+@[^\s@<>]+$/.test(email)) {
    const m = el('a', null, email);
    m.href = `mailto:${email}`;
    row(dl, t.card.email, m);
  }
  const phone = str(actor.phone);
  if (phone) {
    const tel = el('a', null, phone);
    tel.href = `tel:${phone.replace(/[^\d+]/g, '')}`;
    row(dl, t.card.phone, tel);
  }

  const siret = str(actor.siret).replace(/\s/g, '');
  if (/^\d{14}$/.test(siret)) {
    const link = el('a', null, siret);
    link.href = `https://annuaire-entreprises.data.gouv.fr/etablissement/${siret}`;
    link.target = '_blank';
    link.rel = 'noopener noreferrer';
    link.title = t.card.siretTitle;
    row(dl, t.card.siret, link);
  }

  if (dl.childElementCount > 0) card.append(dl);

  const description = str(actor.description);
  if (description) {
    card.append(el('h3', 'actor-card__subtitle', t.card.description));
    card.append(el('p', 'actor-card__description', description));
  }
  const origin = el('p', 'actor-card__origin');
  const source = str(actor.source);
  if (source) origin.append(el('span', 'actor-card__line', t.card.source(source)));
  const licence = str(actor.source_attribution);
  if (licence && licence !== source) origin.append(el('span', 'actor-card__line', t.card.licence(licence)));
  const updated = new Date(str(actor.updated_at));
  if (str(actor.updated_at) && !Number.isNaN(updated.getTime())) {
    origin.append(el('span', 'actor-card__line', t.card.updated(updated.toLocaleDateString('fr-FR', { dateStyle: 'long' }))));
  }
  if (origin.childElementCount > 0) card.append(origin);

  if (link) {
    const p = el('p', 'actor-card__link');
    const permalink = el('a', null, t.card.link);
    permalink.href = link;
    p.append(permalink);
    card.append(p);
  }
  return card;
}

/**
 * The details panel in container. Returns {open(id, opts), close(),
 * current()}: open fetches the actor and resolves to it (null when it
 * failed); onClose is called when the reader closes the panel.
 */
export function createDetails(container, sectors, t, { linkOf, onClose, actorExtra }) {
  let current = null;
  let returnFocus = null;
  let pending = null;

  const close = el('button', 'details__close', '×');
  close.type = 'button';
  close.setAttribute('aria-label', t.card.close);
  close.title = t.card.close;
  const body = el('div', 'details__body');
  // On phones the panel is a sheet at the bottom, at peek, half or full
  // height; the handle moves it from one to the next.
  const sizes = ['peek', 'half', 'full'];
  const handle = el('button', 'details__handle');
  handle.type = 'button';
  const setSize = (size) => {
    container.dataset.size = size;
    const grow = size !== 'full';
    handle.setAttribute('aria-label', grow ? t.card.grow : t.card.shrink);
    handle.title = grow ? t.card.grow : t.card.shrink;
  };
  handle.addEventListener('click', () => {
    setSize(sizes[(sizes.indexOf(container.dataset.size) + 1) % sizes.length]);
  });
  setSize('half');
  container.replaceChildren(handle, close, body);
  container.hidden = true;

  function hide() {
    pending?.abort();
    container.hidden = true;
    body.replaceChildren();
    current = null;
    onClose?.();
    if (returnFocus?.isConnected) returnFocus.focus();
    returnFocus = null;
  }
  close.addEventListener('click', hide);
  container.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') hide();
  });

  return {
    current: () => current,
    close: hide,

    /**
     * Lists the actors found at one place ([{id, name, sector}]) as
     * buttons; onPick(actor) opens one.
     */
    showPlace(actors, onPick) {
      pending?.abort();
      if (!container.contains(document.activeElement)) returnFocus = document.activeElement;
      container.hidden = false;
      current = null;
      const title = el('h2', 'actor-card__name', t.card.atAddress(actors.length));
      title.id = 'details-title';
      title.tabIndex = -1;
      const list = el('ul', 'place-list');
      for (const a of actors) {
        const s = sectors.get(a.sector);
        const button = el('button', 'place-list__item');
        button.type = 'button';
        button.dataset.id = String(a.id);
        button.append(sectorBadge(s), document.createTextNode(saneCase(a.name) || '—'));
        button.addEventListener('click', () => onPick(a));
        const item = el('li');
        item.append(button);
        list.append(item);
      }
      body.replaceChildren(title, list);
      title.focus();
    },
    setSize,

    async open(id, { focus = true } = {}) {
      pending?.abort();
      if (container.hidden) setSize('half');
      pending = new AbortController();
      if (focus && !container.contains(document.activeElement)) returnFocus = document.activeElement;
      container.hidden = false;
      current = id;
      body.replaceChildren(el('p', 'details__loading', t.card.loading));
      let actor;
      try {
        actor = await fetchActor(id, { signal: pending.signal });
      } catch (err) {
        if (err.name === 'AbortError') return null;
        body.replaceChildren(el('p', 'details__error', err.status === 404 ? t.card.notFound : t.card.failed));
        return null;
      }
      const card = actorCard(actor, sectors, t, linkOf(actor.id));
      const extra = actorExtra?.(actor);
      if (extra) card.append(extra);
      body.replaceChildren(card);
      if (focus) body.querySelector('#details-title')?.focus();
      return actor;
    },
  };
}
