// The card of one actor, shown in the map popup (and later in the list).
// All actor data is inserted as text: it comes from imported files.

import { actorSectors } from './sectors.js';

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = text;
  return node;
}

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

/** Builds the card of a GeoJSON actor feature's properties. */
export function actorCard(props, sectors, t) {
  const card = el('article', 'actor-card');
  card.append(el('h2', 'actor-card__name', str(props.name) || '—'));

  const dl = el('dl', 'actor-card__facts');

  const slugs = actorSectors(props);
  if (slugs.length > 0) {
    const list = el('ul', 'actor-card__sectors');
    for (const slug of slugs) {
      const s = sectors.get(slug);
      const item = el('li');
      const swatch = el('span', 'swatch');
      swatch.setAttribute('aria-hidden', 'true');
      if (s) swatch.style.backgroundColor = s.color;
      item.append(swatch, document.createTextNode(s ? `${s.icon} ${s.label}`.trim() : slug));
      list.append(item);
    }
    row(dl, t.card.sectors, list);
  }

  const kind = str(props.kind);
  if (kind) {
    const label = Object.prototype.hasOwnProperty.call(t.kinds, kind) ? `${t.kinds[kind]} (${kind})` : kind;
    row(dl, t.card.kind, document.createTextNode(label));
  }

  const place = [str(props.postcode), str(props.city)].filter(Boolean).join(' ');
  if (place) row(dl, t.card.place, document.createTextNode(place));

  const url = safeWebURL(props.website);
  if (url) {
    const a = el('a', null, url.host + (url.pathname === '/' ? '' : url.pathname));
    a.href = url.href;
    a.target = '_blank';
    a.rel = 'noopener noreferrer';
    a.append(el('span', 'visually-hidden', ` ${t.card.newTab}`));
    row(dl, t.card.website, a);
  }

  if (dl.childElementCount > 0) card.append(dl);
  return card;
}
