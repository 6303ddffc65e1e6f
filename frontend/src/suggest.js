// The public's suggestions: "Proposer une structure" (a new one) and, on
// an actor's panel, "Signaler une erreur" (the same form, prefilled; only
// the changed fields are sent). No captcha: a honeypot field hidden from
// people, and the server's form token, which dates the form.

import { searchAddress } from './api.js';
import { el } from './dom.js';
import { root } from './urlstate.js';

const FIELDS = ['name', 'street', 'postcode', 'city', 'siret', 'website', 'description'];

/**
 * Returns {open(actor)}: opens the form, empty or prefilled from actor.
 * sectors are the directory's ({slug, label}); status shows the thanks.
 */
export function createSuggest(t, sectors, status) {
  const ts = t.suggest;
  const dialog = el('dialog', 'suggest');
  dialog.setAttribute('aria-labelledby', 'suggest-title');
  const form = el('form', 'suggest__form');
  form.method = 'dialog';
  const title = el('h2', 'suggest__title');
  title.id = 'suggest-title';
  const problem = el('p', 'suggest__problem');
  problem.setAttribute('role', 'alert');
  form.append(title, problem);

  const inputs = {};
  for (const f of FIELDS) {
    const label = el('label', 'suggest__label', ts.fields[f]);
    const input = f === 'description' ? el('textarea') : el('input');
    input.name = f;
    input.id = `suggest-${f}`;
    label.htmlFor = input.id;
    if (f === 'name') input.required = true;
    if (f === 'website') input.type = 'url';
    form.append(label, input);
    inputs[f] = input;
  }
  // Address autocomplete from /api/geocode: a pick fills postcode, city
  // and the point (for the moderator's map and duplicates).
  const options = el('datalist');
  options.id = 'suggest-addresses';
  inputs.street.setAttribute('list', options.id);
  inputs.street.autocomplete = 'off';
  form.append(options);
  let found = [];
  let location = null;
  let timer = null;
  inputs.street.addEventListener('input', () => {
    const q = inputs.street.value.trim();
    const pick = found.find((a) => a.label === q);
    if (pick) {
      inputs.postcode.value = pick.postcode ?? inputs.postcode.value;
      inputs.city.value = pick.city ?? inputs.city.value;
      inputs.street.value = pick.label.replace(/\s+\d{5}\s.*$/, '');
      location = pick.location ?? null;
      return;
    }
    clearTimeout(timer);
    if (q.length < 4) return;
    timer = setTimeout(async () => {
      try {
        found = await searchAddress(q);
      } catch {
        found = [];
      }
      options.replaceChildren(...found.map((a) => Object.assign(el('option'), { value: a.label })));
    }, 250);
  });

  const sectorBox = el('fieldset', 'suggest__sectors');
  sectorBox.append(el('legend', '', ts.fields.sectors));
  const checks = {};
  for (const s of sectors) {
    const label = el('label', 'suggest__sector');
    const box = el('input');
    box.type = 'checkbox';
    box.value = s.slug;
    label.append(box, document.createTextNode(` ${s.label}`));
    sectorBox.append(label);
    checks[s.slug] = box;
  }
  form.append(sectorBox);

  const emailLabel = el('label', 'suggest__label', ts.email);
  const email = el('input');
  email.type = 'email';
  email.id = 'suggest-email';
  emailLabel.htmlFor = email.id;
  const consentLabel = el('label', 'suggest__consent');
  const consent = el('input');
  consent.type = 'checkbox';
  consentLabel.append(consent, document.createTextNode(` ${ts.consent}`));
  form.append(emailLabel, email, consentLabel);

  // The honeypot: off screen and out of the tab order; people leave it empty.
  const trapLabel = el('label', 'visually-hidden', ts.trap);
  const trap = el('input');
  trap.name = 'homepage';
  trap.tabIndex = -1;
  trap.autocomplete = 'off';
  trapLabel.append(trap);
  trapLabel.setAttribute('aria-hidden', 'true');
  form.append(trapLabel);

  const buttons = el('div', 'suggest__buttons');
  const send = el('button', 'button', ts.send);
  send.type = 'submit';
  send.value = 'send';
  const cancel = el('button', 'button', ts.cancel);
  cancel.type = 'button';
  cancel.addEventListener('click', () => dialog.close());
  buttons.append(send, cancel);
  form.append(buttons);
  dialog.append(form);
  document.body.append(dialog);

  let actor = null;
  let original = {};
  let token = '';

  function values() {
    const v = {};
    for (const f of FIELDS) v[f] = inputs[f].value.trim();
    v.sectors = Object.keys(checks).filter((k) => checks[k].checked);
    return v;
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    problem.textContent = '';
    const now = values();
    const fields = {};
    for (const [k, v] of Object.entries(now)) {
      const before = original[k];
      const same = Array.isArray(v) ? v.join(',') === (before ?? []).join(',') : v === (before ?? '');
      if (actor ? !same : v !== '' && !(Array.isArray(v) && v.length === 0)) fields[k] = v;
    }
    if (location && (!actor || fields.street)) fields.location = location;
    if (actor && Object.keys(fields).length === 0) {
      problem.textContent = ts.nothingChanged;
      return;
    }
    const body = { fields, form_token: token, homepage: trap.value };
    if (actor) body.actor_id = actor.id;
    if (email.value.trim()) {
      body.email = email.value.trim();
      body.consent = consent.checked;
    }
    let res;
    try {
      res = await fetch(new URL('api/suggestions', root), {
        method: 'POST',
        headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
    } catch {
      problem.textContent = ts.failed;
      return;
    }
    if (res.status === 202) {
      dialog.close();
      status.notice(ts.thanks);
      return;
    }
    const err = await res.json().catch(() => ({}));
    const first = Object.keys(err.fields ?? {})[0] ?? '';
    problem.textContent = res.status === 429 ? ts.tooMany : ts.invalid(ts.fields[first.replace('fields.', '')] ?? first);
  });

  return {
    /** Opens the form, for a new structure or to correct actor. */
    async open(a = null) {
      actor = a;
      location = null;
      title.textContent = a ? ts.correctTitle(a.name ?? '') : ts.newTitle;
      original = a
        ? {
            name: a.name ?? '',
            street: a.address?.street ?? '',
            postcode: a.address?.postcode ?? '',
            city: a.address?.city ?? '',
            siret: a.siret ?? '',
            website: a.website ?? '',
            description: a.description ?? '',
            sectors: [...(a.sectors ?? [])],
          }
        : {};
      for (const f of FIELDS) inputs[f].value = original[f] ?? '';
      for (const [slug, box] of Object.entries(checks)) box.checked = (original.sectors ?? []).includes(slug);
      problem.textContent = '';
      trap.value = '';
      try {
        const res = await fetch(new URL('api/suggestions/form', root), { headers: { Accept: 'application/json' } });
        token = (await res.json()).form_token ?? '';
      } catch {
        token = '';
      }
      dialog.showModal();
      inputs.name.focus();
    },
  };
}
