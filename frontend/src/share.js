// Sharing: the link of the current view and the iframe snippet that
// embeds the map without the page chrome (?embed=1).

import { el } from './dom.js';

const escapeAttr = (s) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

/** Returns the iframe snippet that embeds url. */
export function iframeSnippet(url, title) {
  return `<iframe src="${escapeAttr(url)}" title="${escapeAttr(title)}" width="100%" height="480" style="border:0" loading="lazy" allow="geolocation"></iframe>`;
}

/**
 * Makes button open a dialog with the link and the snippet of the state
 * currentURL(embed) returns.
 */
export function createShare(button, t, currentURL) {
  button.textContent = t.share.button;
  const dialog = el('dialog', 'share');
  dialog.setAttribute('aria-labelledby', 'share-title');
  const title = el('h2', 'share__title', t.share.title);
  title.id = 'share-title';
  dialog.append(title);

  const fields = [];
  for (const [id, labelText, value] of [
    ['share-link', t.share.link, (u) => u(false)],
    ['share-embed', t.share.embed, (u) => iframeSnippet(u(true), t.share.iframeTitle)],
  ]) {
    const label = el('label', 'share__label', labelText);
    label.htmlFor = id;
    const area = el('textarea', 'share__text');
    area.id = id;
    area.readOnly = true;
    area.rows = id === 'share-link' ? 2 : 4;
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
    dialog.append(label, area, row);
    fields.push({ area, value, done });
  }
  const close = el('button', 'button button--quiet', t.share.close);
  close.type = 'button';
  close.addEventListener('click', () => dialog.close());
  dialog.append(close);
  document.body.append(dialog);

  button.addEventListener('click', () => {
    for (const f of fields) {
      f.area.value = f.value(currentURL);
      f.done.textContent = '';
    }
    dialog.showModal();
  });
  dialog.addEventListener('close', () => button.focus());
}
