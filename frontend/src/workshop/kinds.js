// The annotation kinds of a workshop (atout, faiblesse, besoin, idée by
// default; a workshop may rename or add some), indexed by slug.

const FALLBACK_COLOR = '#6b7280';
const colorRe = /^#[0-9a-fA-F]{6}$/;

/**
 * Indexes a workshop's kinds by slug, in their order. Colours that are
 * not #rrggbb become grey, so nothing else reaches a style property.
 */
export function indexKinds(items) {
  const index = new Map();
  const sorted = (Array.isArray(items) ? items : [])
    .filter((k) => k && typeof k.slug === 'string')
    .sort((a, b) => (a.position ?? 0) - (b.position ?? 0));
  for (const k of sorted) {
    index.set(k.slug, {
      slug: k.slug,
      label: typeof k.label === 'string' && k.label ? k.label : k.slug,
      color: colorRe.test(k.color) ? k.color : FALLBACK_COLOR,
      icon: typeof k.icon === 'string' ? k.icon : '',
    });
  }
  return index;
}

/** Returns the kind of slug, or a grey stand-in named after it. */
export function kindOf(kinds, slug) {
  return kinds.get(slug) ?? { slug, label: String(slug ?? ''), color: FALLBACK_COLOR, icon: '' };
}
