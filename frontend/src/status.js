// Messages over the map: loading, notices, the empty state, errors.

import { el } from './dom.js';

const MAX_NOTICES = 2;

/**
 * Returns the message area of the page. notices is a live region for short
 * messages; panel holds one blocking message (empty state or error).
 */
export function createStatus({ notices, panel }, t) {
  const clearPanel = () => {
    panel.replaceChildren();
    panel.hidden = true;
  };

  const openPanel = (role, ...children) => {
    const box = el('section', 'panel__box');
    box.setAttribute('role', role);
    box.setAttribute('aria-labelledby', 'panel-title');
    box.append(...children);
    panel.replaceChildren(box);
    panel.hidden = false;
    return box;
  };

  return {
    loading() {
      clearPanel();
      notices.replaceChildren(el('p', 'notice notice--loading', t.loading));
    },

    /** Clears the loading message and any panel. */
    done() {
      clearPanel();
      notices.querySelector('.notice--loading')?.remove();
    },

    /**
     * Shows a closable notice. The same text is shown once, and at most
     * MAX_NOTICES stay: the oldest goes.
     */
    notice(text) {
      for (const n of notices.querySelectorAll('.notice--closable')) {
        if (n.dataset.text === text) return;
      }
      const p = el('p', 'notice notice--closable');
      p.dataset.text = text;
      const close = el('button', 'notice__close', '×');
      close.type = 'button';
      close.setAttribute('aria-label', t.closeNotice);
      close.title = t.closeNotice;
      close.addEventListener('click', () => p.remove());
      p.append(el('span', null, text), close);
      notices.append(p);
      const all = notices.querySelectorAll('.notice--closable');
      for (let i = 0; i < all.length - MAX_NOTICES; i++) all[i].remove();
    },

    empty() {
      const e = t.empty;
      const title = el('h2', 'panel__title', e.title);
      title.id = 'panel-title';
      const ways = el('ul', 'panel__ways');
      for (const [label, code] of [
        [e.cliLabel, e.cli],
        [e.apiLabel, e.api],
      ]) {
        const li = el('li', null, `${label} `);
        li.append(el('code', null, code));
        ways.append(li);
      }
      openPanel('status', title, el('p', null, e.intro), ways, el('p', 'panel__hint', e.csvHint));
    },

    error(onRetry) {
      const title = el('h2', 'panel__title', t.error.title);
      title.id = 'panel-title';
      const retry = el('button', 'button', t.error.retry);
      retry.type = 'button';
      retry.addEventListener('click', onRetry);
      notices.querySelector('.notice--loading')?.remove();
      openPanel('alert', title, el('p', null, t.error.body), retry);
      retry.focus();
    },
  };
}
