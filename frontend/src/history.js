// The history of an actor, for keepers signed in: its changes, newest
// first, each with who, when, through which route and the fields it
// changed, and "restaurer cette version". Values are inserted as text.

import { el } from './dom.js';
import { sessionWrite } from './session.js';
import { root } from './urlstate.js';

const show = (v) => (v === null || v === undefined ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v));

/**
 * Returns a "Historique" button for actor that unfolds its history;
 * onRestored(actor) is called after a version is restored. With
 * expanded, the history is unfolded at once and message said (the panel
 * drawn again after a restore keeps its history open).
 */
export function historyButton(actor, t, onRestored, { expanded = false, message = '' } = {}) {
  const th = t.history;
  const box = el('div', 'history');
  const toggle = el('button', 'button history__toggle', th.show);
  toggle.type = 'button';
  const list = el('ol', 'history__list');
  list.hidden = true;
  const problem = el('p', 'history__problem');
  problem.setAttribute('role', 'status');
  box.append(toggle, problem, list);

  async function load() {
    const res = await fetch(new URL(`api/actors/${encodeURIComponent(actor.id)}/history`, root), {
      headers: { Accept: 'application/json' },
      credentials: 'same-origin',
    });
    if (!res.ok) throw new Error(`history: HTTP ${res.status}`);
    const { items } = await res.json();
    list.replaceChildren();
    for (const c of [...items].reverse()) {
      const li = el('li', 'history__item');
      li.dataset.version = String(c.id);
      li.append(el('p', 'history__head', th.entry(th.actions[c.action] ?? c.action, c.who, new Date(c.at).toLocaleString('fr-FR'))));
      li.append(el('p', 'history__route', c.route));
      const changes = el('ul', 'history__changes');
      const after = c.after ?? {};
      const before = c.before ?? {};
      for (const k of Object.keys(c.action === 'delete' ? before : after).slice(0, 12)) {
        changes.append(el('li', '', th.change(k, show(before[k]), show(after[k]))));
      }
      li.append(changes);
      const restore = el('button', 'button history__restore', th.restore);
      restore.type = 'button';
      restore.addEventListener('click', async () => {
        try {
          const a = await sessionWrite('POST', `api/actors/${encodeURIComponent(actor.id)}/restore`, { version: c.id });
          problem.textContent = th.restored;
          onRestored?.(a);
        } catch {
          problem.textContent = th.failed;
        }
      });
      li.append(restore);
      list.append(li);
    }
  }

  async function unfold() {
    try {
      await load();
      list.hidden = false;
      toggle.textContent = th.hide;
    } catch (err) {
      console.error('maillage:', err);
      problem.textContent = th.failed;
    }
  }

  toggle.addEventListener('click', () => {
    if (list.hidden) return unfold();
    list.hidden = true;
    toggle.textContent = th.show;
  });
  if (expanded) {
    problem.textContent = message;
    unfold();
  }
  return box;
}
