// The participant's list of the workshop's annotations, newest first and
// pinned ones on top: the keyboard and screen-reader way to everything on
// the map, with +1 votes, and editing and deleting one's own.

import { button, el } from '../dom.js';
import { kindOf } from './kinds.js';

/** The meta line of an annotation: author, sector, actor, time. */
export function annotationMeta(a, sectors, t) {
  const w = t.workshop;
  const parts = [w.byAuthor(a.author_name || w.anonymous)];
  if (a.sector) parts.push(sectors.get(a.sector)?.label ?? a.sector);
  if (a.actor_name) parts.push(w.linkedActor(a.actor_name));
  const time = w.time(a.created_at);
  if (time) parts.push(time);
  return parts.join(' · ');
}

/** The kind badge of an annotation: a coloured disc with the icon and the label. */
export function kindBadge(kind) {
  const badge = el('span', 'kind-badge');
  const dot = el('span', 'kind-badge__dot', kind.icon);
  dot.style.backgroundColor = kind.color;
  dot.setAttribute('aria-hidden', 'true');
  badge.append(dot, el('span', 'kind-badge__label', kind.label));
  return badge;
}

/**
 * Fills container with the list. Callbacks: onVote(a), onShow(a),
 * onEdit(a, text) and onDelete(a) resolve when done or throw.
 * Returns {update(list, {open})}.
 */
export function createAnnotationList(container, t, { kinds, sectors, onVote, onShow, onEdit, onDelete, notice }) {
  const l = t.workshop.list;
  const title = el('h2', 'wlist__title', l.title);
  title.id = 'wlist-title';
  const summary = el('p', 'wlist__summary');
  const ol = el('ol', 'wlist');
  ol.setAttribute('aria-labelledby', 'wlist-title');
  container.replaceChildren(title, summary, ol);

  let editing = null; // id of the annotation whose text is being edited
  let editorForm = null; // its form, kept across redraws so typing is not lost
  let list = [];
  let open = false;

  async function act(f) {
    try {
      await f();
    } catch (err) {
      console.warn('maillage: annotation action', err);
      notice(l.failed);
    }
  }

  function editor(a) {
    const form = el('form', 'wlist__edit');
    const id = `wlist-edit-${a.id}`;
    const label = el('label', 'visually-hidden', t.workshop.compose.textLabel);
    label.htmlFor = id;
    const area = el('textarea', 'field__input');
    area.id = id;
    area.rows = 3;
    area.maxLength = 1000;
    area.value = a.text ?? '';
    const save = el('button', 'button', l.save);
    save.type = 'submit';
    const cancel = button('button button--quiet', l.cancel);
    cancel.addEventListener('click', () => {
      editing = null;
      editorForm = null;
      render();
    });
    form.append(label, area, save, cancel);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const next = area.value.trim();
      if (!next) return;
      act(async () => {
        await onEdit(a, next);
        editing = null;
        editorForm = null;
        render();
      });
    });
    queueMicrotask(() => area.focus());
    return form;
  }

  function row(a) {
    const kind = kindOf(kinds, a.kind);
    const li = el('li', 'wlist__item');
    li.dataset.id = String(a.id);
    li.dataset.kind = a.kind;
    li.style.setProperty('--kind-color', kind.color);
    const head = el('p', 'wlist__head');
    head.append(kindBadge(kind));
    if (a.pinned) head.append(el('span', 'wlist__pinned', t.workshop.projection.pinned));
    if (a.mine) head.append(el('span', 'wlist__mine', l.mine));
    li.append(head);
    if (editing === a.id) {
      editorForm ??= editor(a);
      li.append(editorForm);
    }
    else li.append(el('p', 'wlist__text', a.text ?? ''));
    li.append(el('p', 'wlist__meta', annotationMeta(a, sectors, t)));

    const actions = el('div', 'wlist__actions');
    const voteButton = button('button button--vote');
    voteButton.append(el('span', 'button--vote__plus', l.vote), ' ', el('span', 'button--vote__count', String(a.votes ?? 0)));
    voteButton.setAttribute('aria-pressed', String(Boolean(a.voted)));
    voteButton.setAttribute('aria-label', l.voteLabel(a.votes ?? 0, Boolean(a.voted)));
    voteButton.addEventListener('click', () => act(() => onVote(a)));
    const show = button('button button--quiet', l.show);
    show.addEventListener('click', () => onShow(a));
    actions.append(voteButton, show);
    if (a.mine && open && editing !== a.id) {
      const edit = button('button button--quiet wlist__edit-button', l.edit);
      edit.addEventListener('click', () => {
        editing = a.id;
        editorForm = null;
        render();
      });
      const del = button('button button--danger', l.delete);
      del.addEventListener('click', () => {
        if (del.dataset.confirm !== 'true') {
          del.dataset.confirm = 'true';
          del.textContent = l.confirmDelete;
          return;
        }
        act(() => onDelete(a));
      });
      actions.append(edit, del);
    }
    li.append(actions);
    return li;
  }

  function render() {
    const sorted = [...list].sort((x, y) => Number(Boolean(y.pinned)) - Number(Boolean(x.pinned)));
    summary.textContent = sorted.length === 0 ? l.empty : l.count(sorted.length);
    const focusedId = document.activeElement?.closest?.('.wlist__item')?.dataset.id;
    const focusedClass = document.activeElement?.className;
    ol.replaceChildren(...sorted.map(row));
    // Keep the keyboard's place across a redraw caused by someone else.
    if (focusedId && editing === null) {
      const again = ol.querySelector(`.wlist__item[data-id="${focusedId}"] button[class="${focusedClass}"]`);
      again?.focus();
    }
  }

  return {
    update(next, { open: isOpen }) {
      list = next;
      open = isOpen;
      if (editing !== null && (!open || !list.some((a) => a.id === editing))) {
        editing = null;
        editorForm = null;
      }
      render();
    },
  };
}
