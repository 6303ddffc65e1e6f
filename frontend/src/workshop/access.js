// The form that asks for a secret or a keeper's token, when a page needs
// more rights than the browser has.

import { el, labelFor } from '../dom.js';

/**
 * Shows the form in gate (made visible), with intro as its explanation and, when bad is
 * true, the message that the last token was refused; lead (nodes) comes
 * before the explanation. Resolves with the typed token.
 */
export function askToken(gate, t, intro, { bad = false, lead = [] } = {}) {
  const a = t.workshop.access;
  return new Promise((resolve) => {
    const form = el('form', 'ws-block access');
    const title = el('h2', 'ws-block__title', a.title);
    const p = el('p', null, intro);
    const input = el('input', 'field__input');
    input.id = 'access-token';
    input.type = 'password';
    input.autocomplete = 'off';
    input.required = true;
    const submit = el('button', 'button', a.submit);
    submit.type = 'submit';
    form.append(title, ...lead, p);
    if (bad) {
      const err = el('p', 'compose__error', a.bad);
      err.setAttribute('role', 'alert');
      form.append(err);
    }
    const row = el('div', 'field__row');
    row.append(input, submit);
    form.append(labelFor('access-token', a.label), row);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const token = input.value.trim();
      if (token) resolve(token);
    });
    gate.replaceChildren(form);
    gate.hidden = false;
    input.focus();
  });
}
