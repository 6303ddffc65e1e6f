// The annotation the animator chose, large over the map, with what the
// animator can do with it: hide or show it again, pin it, correct its
// text, show it to everyone.

import { button, el, labelFor } from '../dom.js';
import { annotationMeta, kindBadge } from './annotationlist.js';
import { kindOf } from './kinds.js';

/**
 * Fills container (hidden while nothing is chosen). Callbacks resolve
 * when done: onHide(a, hidden), onPin(a, pinned), onEdit(a, text),
 * onShowAll(a); onClose(). Returns {show(annotation | null)}.
 */
export function createSelection(container, t, { kinds, sectors, onHide, onPin, onEdit, onShowAll, onClose }) {
  const p = t.workshop.projection;
  let current = null;
  let editing = false;

  function control(id, text, run, className = 'button pj-control') {
    const b = button(className, text);
    b.id = id;
    b.addEventListener('click', async () => {
      b.disabled = true;
      try {
        await run();
      } finally {
        b.disabled = false;
      }
    });
    return b;
  }

  function render() {
    container.hidden = current === null;
    if (!current) {
      container.replaceChildren();
      return;
    }
    const a = current;
    const kind = kindOf(kinds, a.kind);
    container.dataset.id = String(a.id);
    container.style.setProperty('--kind-color', kind.color);
    const title = el('h2', 'visually-hidden', p.selection);
    const head = el('p', 'pj-selection__head');
    head.append(kindBadge(kind));
    if (a.pinned) head.append(el('span', 'wlist__pinned', p.pinned));
    if (a.state === 'hidden') head.append(el('span', 'pj-feed__hidden', p.hidden));
    head.append(el('span', 'pj-feed__votes', t.workshop.votes(a.votes ?? 0)));
    const nodes = [title, head];
    if (editing) {
      const form = el('form', 'pj-selection__edit');
      const area = el('textarea', 'field__input');
      area.id = 'sel-text';
      area.rows = 3;
      area.maxLength = 1000;
      area.value = a.text ?? '';
      const save = el('button', 'button pj-control', p.save);
      save.type = 'submit';
      save.id = 'sel-save';
      const cancel = button('button button--quiet pj-control', p.cancel);
      cancel.addEventListener('click', () => {
        editing = false;
        render();
      });
      form.append(labelFor('sel-text', p.textLabel), area, save, cancel);
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        const text = area.value.trim();
        if (!text) return;
        await onEdit(a, text);
        editing = false;
        render();
      });
      nodes.push(form);
      queueMicrotask(() => area.focus());
    } else {
      nodes.push(el('p', 'pj-selection__text', a.text ?? ''));
    }
    nodes.push(el('p', 'pj-selection__meta', annotationMeta(a, sectors, t)));
    const actions = el('div', 'pj-selection__actions');
    const hidden = a.state === 'hidden';
    actions.append(
      control('sel-hide', hidden ? p.unhide : p.hide, () => onHide(a, !hidden)),
      control('sel-pin', a.pinned ? p.unpin : p.pin, () => onPin(a, !a.pinned)),
    );
    if (!editing) {
      actions.append(
        control('sel-edit', p.edit, async () => {
          editing = true;
          render();
        }),
      );
    }
    actions.append(
      control('sel-showall', p.showAll, () => onShowAll(a)),
      control('sel-close', p.closeSelection, async () => onClose(), 'button button--quiet pj-control'),
    );
    nodes.push(actions);
    container.replaceChildren(...nodes);
  }

  return {
    /** Shows a (or hides the panel for null); the same annotation again keeps an edit going. */
    show(a) {
      const same = current && a && current.id === a.id;
      if (!same) editing = false;
      if (same && editing) {
        current = a;
        return; // do not lose what the animator is typing
      }
      current = a;
      render();
    },
  };
}
