// The card of one actor, shown in the details panel. All actor data is
// inserted as text: it comes from imported files.

import { fetchActor } from './api.js';
import { el } from './dom.js';
import { actorSectors } from './sectors.js';

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
  const title = el('h2', 'actor-card__name', str(actor.name) || '—');
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
      const swatch = el('span', 'swatch');
      swatch.setAttribute('aria-hidden', 'true');
      if (s) swatch.style.backgroundColor = s.color;
      const icon = el('span', 'actor-card__icon', s?.icon ?? '');
      icon.setAttribute('aria-hidden', 'true');
      item.append(swatch, icon, document.createTextNode(s ? s.label : slug));
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
  if (street || place) {
    const addr = el('address');
    if (street) addr.append(el('span', 'actor-card__line', street));
    if (place) addr.append(el('span', 'actor-card__line', place));
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

  if (dl.childElementCount > 0) card.append(dl);

  const description = str(actor.description);
  if (description) {
    card.append(el('h3', 'actor-card__subtitle', t.card.description));
    card.append(el('p', 'actor-card__description', description));
  }
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
export function createDetails(container, sectors, t, { linkOf, onClose }) {
  let current = null;
  let returnFocus = null;
  let pending = null;

  const close = el('button', 'details__close', '×');
  close.type = 'button';
  close.setAttribute('aria-label', t.card.close);
  close.title = t.card.close;
  const body = el('div', 'details__body');
  container.replaceChildren(close, body);
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
    async open(id, { focus = true } = {}) {
      pending?.abort();
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
      body.replaceChildren(actorCard(actor, sectors, t, linkOf(actor.id)));
      if (focus) body.querySelector('#details-title')?.focus();
      return actor;
    },
  };
}
