// Linking an annotation to an actor of the directory ("ce besoin, telle
// structure y répond"): a search by name through GET api/actors?q= and a
// list of results to choose from.

import { listActors } from '../api.js';
import { button, el, labelFor } from '../dom.js';

const MIN_CHARS = 2;

/**
 * Fills container with the actor field. Returns {get() -> {id, name} |
 * null, set(actor | null), setDisabled(bool)}.
 */
export function createActorPick(container, t, idPrefix) {
  const c = t.workshop.compose;
  const inputId = `${idPrefix}-actor`;
  const input = el('input', 'field__input');
  input.id = inputId;
  input.type = 'search';
  input.autocomplete = 'off';
  input.placeholder = c.actorPlaceholder;
  const search = button('button button--quiet', c.actorSearch);
  const row = el('div', 'field__row');
  row.append(input, search);
  const results = el('ul', 'actor-pick__results');
  results.hidden = true;
  const live = el('p', 'visually-hidden');
  live.setAttribute('aria-live', 'polite');
  const linked = el('p', 'actor-pick__linked');
  linked.hidden = true;
  const linkedName = el('span');
  const remove = button('link-button', c.actorRemove);
  linked.append(linkedName, ' ', remove);
  container.replaceChildren(labelFor(inputId, c.actorLabel), row, results, live, linked);
  container.classList.add('field', 'actor-pick');

  let chosen = null;
  let pending = null;
  let timer = null;

  function set(actor) {
    chosen = actor ? { id: actor.id, name: actor.name ?? '' } : null;
    linked.hidden = !chosen;
    row.hidden = Boolean(chosen);
    linkedName.textContent = chosen ? c.actorLinked(chosen.name) : '';
    results.hidden = true;
    results.replaceChildren();
    input.value = '';
  }

  async function find() {
    const q = input.value.trim();
    if (q.length < MIN_CHARS) return;
    pending?.abort();
    pending = new AbortController();
    let page;
    try {
      page = await listActors({ q, limit: '5' }, { signal: pending.signal });
    } catch (err) {
      if (err.name !== 'AbortError') console.warn('maillage: actor search', err);
      return;
    }
    const items = page.items.map((a) => {
      const li = el('li');
      const place = [a.address?.postcode, a.address?.city].filter(Boolean).join(' ');
      const b = button('actor-pick__option', [a.name, place].filter(Boolean).join(' — '));
      b.dataset.id = String(a.id);
      b.addEventListener('click', () => {
        set(a);
        remove.focus();
      });
      li.append(b);
      return li;
    });
    results.replaceChildren(...items);
    results.hidden = items.length === 0;
    live.textContent = items.length === 0 ? c.actorNone(q) : c.actorResults(items.length);
  }

  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(find, 300);
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault(); // not the annotation form's submit
      clearTimeout(timer);
      find();
    }
  });
  search.addEventListener('click', find);
  remove.addEventListener('click', () => {
    set(null);
    input.focus();
  });

  return {
    get: () => chosen,
    set,
    setDisabled(off) {
      for (const node of [input, search, remove]) node.disabled = off;
    },
  };
}
