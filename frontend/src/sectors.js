// Sector lookup shared by the map, the legend and the actor card, and the
// ink readable on a sector's (or a workshop kind's) colour.

const FALLBACK_COLOR = '#6b7280';
const colorRe = /^#[0-9a-fA-F]{6}$/;
// A sector's icon is the path data of its pictogram, in a 24 x 24 box.
const pathRe = /^[Mm][MmLlHhVvCcSsQqTtAaZz0-9.,\s-]*$/;
const SVG = 'http://www.w3.org/2000/svg';

/** Folds case and accents, as the server folds synonyms: "Réemploi" -> "reemploi". */
export function fold(s) {
  return s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/\s+/g, ' ').trim();
}

/**
 * Returns the sectors whose label or synonyms match the text q: a name
 * that starts with it ("recyc" -> réemploi) or that it contains ("les
 * ressourceries" -> réemploi). At most max, best first.
 */
export function sectorsMatching(index, q, max = 2) {
  const f = fold(q);
  if (f.length < 3) return [];
  const scored = [];
  for (const s of index.values()) {
    let best = 0;
    for (const name of [fold(s.label), ...s.synonyms]) {
      if (name.length < 3) continue;
      if (name === f) best = Math.max(best, 3);
      else if (name.startsWith(f) || f.includes(name)) best = Math.max(best, 2);
      else if (name.split(/[\s,'-]+/).some((w) => w.length >= 3 && w.startsWith(f))) best = Math.max(best, 1);
    }
    if (best > 0) scored.push([best, s]);
  }
  return scored.sort((a, b) => b[0] - a[0] || a[1].position - b[1].position).slice(0, max).map(([, s]) => s);
}

/**
 * Indexes sectors by slug. Colours that are not #rrggbb are replaced by
 * a neutral grey so that nothing else reaches a style property.
 */
export function indexSectors(items) {
  const index = new Map();
  for (const s of items) {
    index.set(s.slug, {
      slug: s.slug,
      label: typeof s.label === 'string' && s.label ? s.label : s.slug,
      color: colorRe.test(s.color) ? s.color : FALLBACK_COLOR,
      icon: typeof s.icon === 'string' && pathRe.test(s.icon) ? s.icon : '',
      position: Number.isFinite(s.position) ? s.position : 0,
      synonyms: Array.isArray(s.synonyms) ? s.synonyms.filter((v) => typeof v === 'string').map(fold) : [],
    });
  }
  return index;
}

/** Returns the sector slugs of an actor's properties, known or not. */
export function actorSectors(props) {
  return Array.isArray(props?.sectors) ? props.sectors.filter((s) => typeof s === 'string') : [];
}

/**
 * Returns the sector an actor is drawn with: its first known sector, or
 * null when it has none the index knows.
 */
export function primarySector(props, index) {
  for (const slug of actorSectors(props)) {
    const s = index.get(slug);
    if (s) return s;
  }
  return null;
}

/** Returns the colour of an actor's marker. */
export function actorColor(props, index) {
  return primarySector(props, index)?.color ?? FALLBACK_COLOR;
}

/** Returns the text colour (black or white) readable on a #rrggbb fill. */
export function inkOn(hex) {
  const c = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
  const [r, g, b] = c.map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
  const lum = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  // Contrast with white is (1.05)/(lum+0.05), with black (lum+0.05)/0.05.
  return 1.05 / (lum + 0.05) >= (lum + 0.05) / 0.05 ? '#ffffff' : '#111827';
}

/**
 * Returns a sector's badge: a disc of its colour with its pictogram (an
 * SVG built from the path data, never from markup), hidden from assistive
 * technology, which reads the sector's label next to it.
 */
export function sectorBadge(sector, className = 'pictogram') {
  const badge = document.createElement('span');
  badge.className = className;
  badge.setAttribute('aria-hidden', 'true');
  const color = sector?.color ?? FALLBACK_COLOR;
  badge.style.backgroundColor = color;
  if (sector?.icon) {
    const svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('focusable', 'false');
    const path = document.createElementNS(SVG, 'path');
    path.setAttribute('d', sector.icon);
    path.setAttribute('fill', inkOn(color));
    path.setAttribute('fill-rule', 'evenodd');
    svg.append(path);
    badge.append(svg);
  }
  return badge;
}
