// Sharing: the link of the current view, and an embed builder that makes
// the <iframe> code of the map without the page chrome (?embed=1), with
// or without its legend, its search and its "Voir la carte complète"
// link, on chosen sectors that may be locked, and shows a live preview.
// The attribution of the data is always on the embedded map.

import { el } from './dom.js';
import { sectorBadge } from './sectors.js';

const escapeAttr = (s) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

/** Returns the iframe snippet that embeds url. */
export function iframeSnippet(url, title) {
  return `<iframe src="${escapeAttr(url)}" title="${escapeAttr(title)}" width="100%" height="480" style="border:0" loading="lazy" allow="geolocation"></iframe>`;
}

/** Returns a labelled checkbox with id, checked or not. */
function checkbox(id, text, checked, className = 'share__check') {
  const label = el('label', className);
  const box = el('input');
  box.type = 'checkbox';
  box.id = id;
  box.checked = checked;
  label.append(box, document.createTextNode(' '), el('span', null, text));
  return { label, box };
}

/** Returns a read-only text area with its label and a "Copier" button. */
function copyField(id, labelText, rows, t) {
  const label = el('label', 'share__label', labelText);
  label.htmlFor = id;
  const area = el('textarea', 'share__text');
  area.id = id;
  area.readOnly = true;
  area.rows = rows;
  const copy = el('button', 'button', t.share.copy);
  copy.type = 'button';
  const done = el('span', 'share__done');
  done.setAttribute('aria-live', 'polite');
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(area.value);
      done.textContent = t.share.copied;
    } catch {
      area.select();
      done.textContent = t.share.copyFailed;
    }
  });
  const row = el('div', 'share__row');
  row.append(copy, done);
  return { nodes: [label, area, row], area, done };
}

/**
 * Makes button open the sharing dialog. sectors is the index of sectors;
 * shown() the slugs shown now; urlOf(embed, slugs) the URL of the current
 * view as a page (embed false) or an embed ({legend, search, full, lock})
 * on slugs (null: every sector).
 */
export function createShare(button, t, { sectors, shown, urlOf }) {
  button.textContent = t.share.button;
  const dialog = el('dialog', 'share');
  dialog.setAttribute('aria-labelledby', 'share-title');
  const title = el('h2', 'share__title', t.share.title);
  title.id = 'share-title';
  const link = copyField('share-link', t.share.link, 2, t);

  const embedTitle = el('h3', 'share__subtitle', t.share.embedTitle);
  const options = el('fieldset', 'share__fieldset');
  options.append(el('legend', 'share__legend', t.share.options));
  const legend = checkbox('embed-legend', t.share.legend, true);
  const search = checkbox('embed-search', t.share.search, true);
  const full = checkbox('embed-full', t.share.full, true);
  options.append(legend.label, search.label, full.label);

  const sectorSet = el('fieldset', 'share__fieldset');
  sectorSet.append(el('legend', 'share__legend', t.share.sectors));
  const sectorList = el('ul', 'share__sectors');
  const sectorBoxes = new Map();
  for (const s of sectors.values()) {
    const li = el('li');
    const c = checkbox(`embed-sector-${s.slug}`, s.label, true, 'share__check share__sector');
    c.box.value = s.slug;
    c.label.insertBefore(sectorBadge(s), c.label.lastChild);
    sectorBoxes.set(s.slug, c.box);
    li.append(c.label);
    sectorList.append(li);
  }
  const lock = checkbox('embed-lock', t.share.lock, false);
  sectorSet.append(sectorList, lock.label);

  const attribution = el('p', 'share__note', t.share.attribution);
  const code = copyField('share-embed', t.share.embed, 4, t);
  const previewLabel = el('p', 'share__label', t.share.preview);
  previewLabel.id = 'share-preview-label';
  const preview = el('iframe', 'share__preview');
  preview.title = t.share.previewTitle;

  const close = el('button', 'button button--quiet', t.share.close);
  close.type = 'button';
  close.addEventListener('click', () => dialog.close());
  dialog.append(title, ...link.nodes, embedTitle, options, sectorSet, attribution, ...code.nodes, previewLabel, preview, close);
  document.body.append(dialog);

  /** The embed's URL with the options ticked now. */
  function embedURL() {
    const chosen = [...sectorBoxes].filter(([, box]) => box.checked).map(([slug]) => slug);
    const slugs = chosen.length === sectorBoxes.size && !lock.box.checked ? null : chosen;
    const opts = { legend: legend.box.checked, search: search.box.checked, full: full.box.checked, lock: lock.box.checked };
    return urlOf(opts, slugs);
  }

  let timer = null;
  function update() {
    const url = embedURL();
    code.area.value = iframeSnippet(url, t.share.iframeTitle);
    code.done.textContent = '';
    dialog.dataset.embedUrl = url;
    // The preview reloads once the ticking pauses.
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (dialog.open && preview.src !== url) preview.src = url;
    }, 300);
  }
  for (const box of [legend.box, search.box, full.box, lock.box, ...sectorBoxes.values()]) {
    box.addEventListener('change', update);
  }

  button.addEventListener('click', () => {
    link.area.value = urlOf(false);
    link.done.textContent = '';
    const now = new Set(shown());
    for (const [slug, box] of sectorBoxes) box.checked = now.has(slug);
    update();
    dialog.showModal();
  });
  dialog.addEventListener('close', () => {
    clearTimeout(timer);
    preview.removeAttribute('src');
    button.focus();
  });
}
