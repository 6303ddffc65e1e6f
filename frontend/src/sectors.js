// Sector lookup shared by the map, the legend and the actor card, and the
// ink readable on a sector's (or a workshop kind's) colour.

const FALLBACK_COLOR = '#6b7280';
const colorRe = /^#[0-9a-fA-F]{6}$/;

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
      icon: typeof s.icon === 'string' ? s.icon : '',
      position: Number.isFinite(s.position) ? s.position : 0,
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
