// Correction mode for directory keepers: signed in as a keeper (or an
// admin), a clicked actor gets a draggable marker and its new position is
// saved by hand, through the session.

import L from 'leaflet';
import iconURL from 'leaflet/dist/images/marker-icon.png';
import iconRetinaURL from 'leaflet/dist/images/marker-icon-2x.png';
import shadowURL from 'leaflet/dist/images/marker-shadow.png';
import { loadSession, sessionWrite } from './session.js';

// Leaflet's pin, from the bundle: esbuild renames its images, so that
// Leaflet's own guess of their path fails (a 404 and no pin).
const asset = (name) => new URL(name, import.meta.url).href;
const pin = L.icon({
  ...L.Icon.Default.prototype.options,
  iconUrl: asset(iconURL),
  iconRetinaUrl: asset(iconRetinaURL),
  shadowUrl: asset(shadowURL),
});

const editors = new Set(['admin', 'keeper']);

/**
 * Adds the correction control to map. status shows notices; tiles is the
 * actors' layer (hide one actor while dragged, reload after a move).
 * Returns {select(actor)}, to call with {id, name, latlng} when an actor
 * is clicked: true when correction mode took the click.
 */
export function createCorrection(map, status, t, tiles) {
  let session = null;
  let active = false;
  let dragged = null; // the draggable marker

  const box = L.DomUtil.create('div', 'correction leaflet-bar');
  L.DomEvent.disableClickPropagation(box);
  const toggle = L.DomUtil.create('button', 'correction-toggle', box);
  toggle.type = 'button';
  const hint = L.DomUtil.create('p', 'correction-hint', box);
  hint.hidden = true;
  hint.textContent = t.correction.hint;

  function render() {
    toggle.textContent = active ? t.correction.stop : t.correction.start;
    toggle.setAttribute('aria-pressed', String(active));
    hint.hidden = !active;
    box.classList.toggle('correction--active', active);
  }

  function release() {
    if (!dragged) return;
    dragged.remove();
    dragged = null;
    tiles.hide(null);
  }

  const signIn = () => location.assign(new URL('connexion?suite=/gestion', document.baseURI));

  toggle.addEventListener('click', async () => {
    if (active) {
      active = false;
      release();
      render();
      return;
    }
    try {
      session = await loadSession();
    } catch {
      status.notice(t.correction.failed);
      return;
    }
    if (!session) {
      signIn();
    } else if (!editors.has(session.user.role)) {
      status.notice(t.correction.notAllowed);
    } else {
      active = true;
    }
    render();
  });

  const control = L.control({ position: 'topright' });
  control.onAdd = () => box;
  control.addTo(map);
  render();

  return {
    /** Makes the actor's point draggable in correction mode. */
    select(actor) {
      if (!active || !actor?.id) return false;
      release();
      const title = t.correction.markerTitle(actor.name ?? '');
      const marker = L.marker(actor.latlng, { icon: pin, draggable: true, autoPan: true, title, alt: title }).addTo(map);
      marker.getElement()?.setAttribute('aria-label', title);
      tiles.hide(actor.id);
      dragged = marker;
      let placed = actor.latlng;
      marker.on('dragend', async () => {
        const { lat, lng } = marker.getLatLng();
        try {
          await sessionWrite('PUT', `api/actors/${encodeURIComponent(actor.id)}/location`, {
            type: 'Point',
            coordinates: [lng, lat],
          });
          placed = marker.getLatLng();
          tiles.reload();
          status.notice(t.correction.saved(actor.name ?? ''));
        } catch (err) {
          console.error('maillage:', err);
          marker.setLatLng(placed);
          if (err.status === 401 || err.status === 403) {
            session = null;
            active = false;
            release();
            render();
            status.notice(t.correction.badToken);
          } else {
            status.notice(t.correction.failed);
          }
        }
      });
      return true;
    },
  };
}
