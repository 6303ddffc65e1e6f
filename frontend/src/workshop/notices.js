// Short messages of the workshop pages, in a live region, and the one
// blocking message (not found, failed to load) in place of the page.

import { button, el } from '../dom.js';

const NOTICE_MS = 5000;
const MAX_NOTICES = 2; // older ones go first, so that they never pile up over the page

/**
 * Returns the page's message area. notices is a live region.
 */
export function createNotices(notices, t) {
  return {
    loading() {
      notices.replaceChildren(el('p', 'notice notice--loading', t.workshop.loading));
    },

    done() {
      notices.querySelector('.notice--loading')?.remove();
    },

    /** Shows text for a few seconds. */
    notice(text, { kind = '' } = {}) {
      const p = el('p', `notice${kind ? ` notice--${kind}` : ''}`, text);
      notices.append(p);
      const shown = notices.querySelectorAll('.notice:not(.notice--loading)');
      for (let i = 0; i < shown.length - MAX_NOTICES; i++) shown[i].remove();
      setTimeout(() => p.remove(), NOTICE_MS);
    },

    /** Shows gate (made visible) with a title, a text and an optional action. */
    block(gate, title, body, action = null) {
      notices.replaceChildren();
      const box = el('section', 'ws-block');
      box.setAttribute('role', 'alert');
      const h = el('h2', 'ws-block__title', title);
      box.append(h, el('p', null, body));
      if (action) {
        if (action.href) {
          const a = el('a', 'button', action.label);
          a.href = action.href;
          box.append(a);
        } else {
          const b = button('button', action.label);
          b.addEventListener('click', action.run);
          box.append(b);
        }
      }
      gate.replaceChildren(box);
      gate.hidden = false;
      return box;
    },
  };
}
