// The participant's composer: four large kind buttons, then a form to
// place the annotation (a tap on the map, a line or a zone drawn, or an
// address for keyboard and screen-reader users), write its text, and
// optionally name a sector and an actor.

import { inkOn } from '../sectors.js';
import { searchAddress } from '../api.js';
import { button, el, labelFor } from '../dom.js';
import { createActorPick } from './actorpick.js';

const MAX_TEXT = 1000;

/** Counts the vertices of a geometry as a person would (a closed ring's last point is its first). */
function vertexCount(g) {
  if (g.type === 'LineString') return g.coordinates.length;
  if (g.type === 'Polygon') return Math.max(0, (g.coordinates[0]?.length ?? 1) - 1);
  return 1;
}

/**
 * Fills container with the composer. kinds and sectors are indexes by
 * slug; focusSectors the workshop's own. drawing is the map's drawing
 * tool. onSend(body) posts the annotation and resolves to it, or throws
 * an ApiError. onWantMap() brings the map into view. notice(text) tells
 * the participant.
 */
export function createComposer(container, t, { kinds, sectors, focusSectors, drawing, onSend, onWantMap, notice }) {
  const c = t.workshop.compose;

  const state = el('p', 'compose__state');
  state.id = 'compose-state';

  const kindSet = el('fieldset', 'kinds');
  kindSet.append(el('legend', 'kinds__legend', c.kindsLegend));
  const kindButtons = new Map();
  for (const k of kinds.values()) {
    const b = button('kind-button');
    b.dataset.kind = k.slug;
    b.setAttribute('aria-pressed', 'false');
    b.style.setProperty('--kind-color', k.color);
    b.style.setProperty('--kind-ink', inkOn(k.color));
    const icon = el('span', 'kind-button__icon', k.icon);
    icon.setAttribute('aria-hidden', 'true');
    b.append(icon, el('span', 'kind-button__label', k.label));
    kindButtons.set(k.slug, b);
    kindSet.append(b);
  }

  const form = el('form', 'compose__form');
  form.id = 'compose-form';
  form.noValidate = true;
  form.hidden = true;

  // Where: the map, or an address.
  const where = el('fieldset', 'where');
  where.append(el('legend', 'where__legend', c.whereLegend));
  const shapes = el('div', 'where__shapes');
  const shapeButtons = new Map();
  for (const [shape, text] of [
    ['point', c.point],
    ['line', c.line],
    ['zone', c.zone],
  ]) {
    const b = button('button button--shape', text);
    b.dataset.shape = shape;
    b.setAttribute('aria-pressed', 'false');
    shapeButtons.set(shape, b);
    shapes.append(b);
  }
  const hint = el('p', 'where__hint');
  hint.setAttribute('aria-live', 'polite');
  const drawActions = el('div', 'where__actions');
  drawActions.hidden = true;
  const finish = button('button', c.finish);
  finish.id = 'compose-finish';
  const cancelDraw = button('button button--quiet', c.cancelDraw);
  drawActions.append(finish, cancelDraw);
  const placed = el('p', 'where__placed', c.noGeometry);
  placed.id = 'compose-geometry';
  placed.setAttribute('aria-live', 'polite');

  const address = el('div', 'where__address');
  address.setAttribute('role', 'group');
  address.setAttribute('aria-labelledby', 'compose-address-legend');
  const addressLegend = el('p', 'where__address-legend', c.addressLegend);
  addressLegend.id = 'compose-address-legend';
  const addressInput = el('input', 'field__input');
  addressInput.id = 'compose-address';
  addressInput.type = 'text';
  addressInput.autocomplete = 'street-address';
  const addressButton = button('button button--quiet', c.addressSubmit);
  addressButton.id = 'compose-address-submit';
  const addressRow = el('div', 'field__row');
  addressRow.append(addressInput, addressButton);
  address.append(addressLegend, labelFor('compose-address', c.addressLabel), addressRow);
  where.append(shapes, hint, drawActions, placed, address);

  // What: the text, a sector, an actor.
  const textField = el('div', 'field');
  const text = el('textarea', 'field__input compose__text');
  text.id = 'compose-text';
  text.rows = 4;
  text.maxLength = MAX_TEXT;
  text.setAttribute('aria-describedby', 'compose-text-hint');
  const textHint = el('p', 'field__hint', c.textHint);
  textHint.id = 'compose-text-hint';
  const count = el('span', 'field__count', c.textCount(0));
  count.setAttribute('aria-hidden', 'true');
  textHint.append(' ', count);
  textField.append(labelFor('compose-text', c.textLabel), text, textHint);

  const sectorField = el('div', 'field');
  const sector = el('select', 'field__input');
  sector.id = 'compose-sector';
  sector.append(new Option(c.sectorNone, ''));
  const focus = new Set(focusSectors);
  const ordered = [...sectors.values()].sort((a, b) => Number(focus.has(b.slug)) - Number(focus.has(a.slug)) || a.position - b.position);
  for (const s of ordered) sector.append(new Option(s.label, s.slug));
  sectorField.append(labelFor('compose-sector', c.sectorLabel), sector);

  const actorField = el('div');
  const actor = createActorPick(actorField, t, 'compose');

  const error = el('p', 'compose__error');
  error.setAttribute('role', 'alert');
  const send = el('button', 'button button--send', c.send);
  send.type = 'submit';
  send.id = 'compose-send';
  const cancel = button('button button--quiet', c.cancel);
  const actions = el('div', 'compose__actions');
  actions.append(send, cancel);
  form.append(where, textField, sectorField, actorField, error, actions);

  container.replaceChildren(state, kindSet, form);

  let kind = null;
  let geometry = null;
  let enabled = false;
  let busy = false;

  function pickKind(slug) {
    kind = slug;
    for (const [s, b] of kindButtons) b.setAttribute('aria-pressed', String(s === slug));
    const k = kinds.get(slug);
    drawing.setColor(k.color);
    form.style.setProperty('--kind-color', k.color);
    form.hidden = false;
    error.textContent = '';
  }

  function setGeometry(g) {
    geometry = g;
    placed.textContent = g ? (g.type === 'Point' ? c.geometry.Point : c.geometry[g.type](vertexCount(g))) : c.noGeometry;
    placed.dataset.type = g ? g.type : '';
  }

  function showMode(mode) {
    for (const [s, b] of shapeButtons) b.setAttribute('aria-pressed', String(s === mode));
    drawActions.hidden = mode !== 'line' && mode !== 'zone';
    hint.textContent = mode === 'point' ? c.placeHint : mode === 'line' ? c.lineHint : mode === 'zone' ? c.zoneHint : '';
  }

  function reset() {
    kind = null;
    for (const b of kindButtons.values()) b.setAttribute('aria-pressed', 'false');
    drawing.set(null);
    text.value = '';
    count.textContent = c.textCount(0);
    sector.value = '';
    actor.set(null);
    addressInput.value = '';
    error.textContent = '';
    form.hidden = true;
  }

  for (const [slug, b] of kindButtons) {
    b.addEventListener('click', () => {
      if (!enabled) return;
      pickKind(slug);
      (geometry ? text : shapeButtons.get('point')).focus();
    });
  }

  for (const [shape, b] of shapeButtons) {
    b.addEventListener('click', async () => {
      if (!enabled) return;
      onWantMap();
      if (shape !== 'point') hint.textContent = c.drawLoading;
      try {
        await drawing.start(shape);
      } catch (err) {
        console.error('maillage: drawing tool', err);
        drawing.cancel();
        notice(c.drawFailed);
      }
    });
  }
  finish.addEventListener('click', () => drawing.finish());
  cancelDraw.addEventListener('click', () => drawing.cancel());

  async function placeByAddress() {
    const q = addressInput.value.trim();
    if (q.length < 3) return;
    let items;
    try {
      items = await searchAddress(q);
    } catch (err) {
      console.warn('maillage: address', err);
      notice(c.addressFailed);
      return;
    }
    const first = items.find((p) => Array.isArray(p?.location?.coordinates));
    if (!first) {
      hint.textContent = c.addressNone(q);
      return;
    }
    const [lon, lat] = first.location.coordinates;
    drawing.set({ type: 'Point', coordinates: [lon, lat] });
    hint.textContent = c.addressPlaced(first.label);
  }
  addressButton.addEventListener('click', placeByAddress);
  addressInput.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      placeByAddress();
    }
  });

  text.addEventListener('input', () => {
    count.textContent = c.textCount(text.value.length);
  });

  cancel.addEventListener('click', () => {
    reset();
    kindButtons.values().next().value?.focus();
  });

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!enabled || busy) return;
    const body = text.value.trim();
    if (!kind) error.textContent = c.needKind;
    else if (!geometry) error.textContent = c.needGeometry;
    else if (!body) error.textContent = c.needText;
    else error.textContent = '';
    if (error.textContent) return;
    busy = true;
    send.disabled = true;
    send.textContent = c.sending;
    try {
      await onSend({
        kind,
        geometry,
        text: body,
        sector: sector.value || null,
        actor_id: actor.get()?.id ?? null,
      });
      reset();
      notice(c.sent);
    } catch (err) {
      console.warn('maillage: send', err);
      if (err.status === 409) error.textContent = c.closed;
      else if (err.status === 400 && err.serverMessage) {
        const fields = Object.entries(err.fields ?? {}).map(([k, v]) => `${k} : ${v}`);
        error.textContent = c.refused(fields.length ? fields.join(' ; ') : err.serverMessage);
      } else error.textContent = c.failed;
    } finally {
      busy = false;
      send.disabled = !enabled;
      send.textContent = c.send;
    }
  });

  return {
    /** Follows the drawing tool's mode (called by the page). */
    onMode: showMode,
    /** Follows the chosen place (called by the page). */
    onGeometry: setGeometry,

    /** Whether a tap on the map places the annotation (so the map does not open actors). */
    placing: () => drawing.mode() !== null,

    /** Links the annotation being written to an actor clicked on the map; false when none is being written. */
    linkActor(a) {
      if (!enabled || form.hidden) return false;
      actor.set(a);
      return true;
    },

    /** Allows writing, or not, with a message saying why. */
    setEnabled(on, message) {
      enabled = on;
      state.textContent = message ?? '';
      state.dataset.enabled = String(on);
      container.dataset.enabled = String(on);
      for (const b of kindButtons.values()) b.disabled = !on;
      for (const node of form.querySelectorAll('input, textarea, select, button')) node.disabled = !on;
      actor.setDisabled(!on);
      if (!on) {
        drawing.cancel();
        form.hidden = true;
      }
    },
  };
}
