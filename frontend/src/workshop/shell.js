// What every workshop page does first and last around its own start: find
// its gate, page and notices, say when the workshop does not exist, and
// show the failure notice or the page once it has loaded.

import { readConfig } from '../config.js';
import t from '../i18n/fr.js';
import { root } from '../urlstate.js';
import { createNotices } from './notices.js';

const w = t.workshop;

/**
 * Returns the page's shell: its configuration, gate, page and notices, and
 * the workshop's id and code. When the page needs a workshop (the default)
 * and the server knows none, it shows "not found" and returns null.
 */
export function openShell({ needsWorkshop = true } = {}) {
  const config = readConfig();
  const gate = document.getElementById('ws-gate');
  const page = document.getElementById('ws-page');
  const notices = createNotices(document.getElementById('ws-notices'), t);
  if (needsWorkshop && (config.notFound || !config.workshop?.id)) {
    notices.block(gate, w.notFoundTitle, w.notFoundBody, { label: w.backToMap, href: root.href });
    return null;
  }
  const { id, code } = config.workshop ?? {};
  return {
    config,
    gate,
    page,
    notices,
    id,
    code,

    /** Replaces the page with the failure notice and a retry button. */
    fail(err) {
      console.error('maillage:', err);
      notices.block(gate, w.failed, '', { label: w.retry, run: () => window.location.reload() });
    },

    /** Hides the gate and shows the page. */
    reveal() {
      gate.hidden = true;
      page.hidden = false;
    },
  };
}
