// "Autour de moi": the browser's position, then the nearest published
// actors of the shown sectors (GET api/actors/nearby), with distances.

import { nearbyActors } from './api.js';
import { el } from './dom.js';
import { actorRow } from './list.js';

/**
 * Fills button's click with the search and section with the results.
 * selectedSectors() returns the shown slugs (null: all). onFound(latlng,
 * actors) shows them on the map; onOpen(actor) opens one.
 */
export function createNearby(button, section, sectors, t, { selectedSectors, onFound, onOpen }) {
  button.textContent = t.nearby.button;
  section.hidden = true;

  function show(...children) {
    const title = el('h2', 'nearby__title', t.nearby.title);
    title.id = 'nearby-title';
    title.tabIndex = -1;
    const close = el('button', 'link-button', t.nearby.close);
    close.type = 'button';
    close.addEventListener('click', () => {
      section.hidden = true;
      section.replaceChildren();
      button.focus();
    });
    section.replaceChildren(title, ...children, close);
    section.hidden = false;
    title.focus();
  }

  button.addEventListener('click', () => {
    if (!('geolocation' in navigator)) {
      show(el('p', null, t.nearby.unsupported));
      return;
    }
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    const status = el('p', null, t.nearby.locating);
    show(status);
    navigator.geolocation.getCurrentPosition(
      async (pos) => {
        const { latitude: lat, longitude: lon } = pos.coords;
        const params = { lat: lat.toFixed(6), lon: lon.toFixed(6), limit: '10' };
        const slugs = selectedSectors();
        let items = [];
        try {
          if (!slugs || slugs.length > 0) {
            if (slugs) params.sectors = slugs.join(',');
            items = await nearbyActors(params);
          }
        } catch (err) {
          console.warn('maillage: nearby', err);
          show(el('p', null, t.nearby.failed));
          return;
        } finally {
          button.disabled = false;
          button.removeAttribute('aria-busy');
        }
        if (items.length === 0) {
          show(el('p', null, t.nearby.none));
          onFound([lat, lon], []);
          return;
        }
        const ol = el('ol', 'actor-list nearby__list');
        ol.setAttribute('aria-labelledby', 'nearby-title');
        ol.append(...items.map((a) => actorRow(a, sectors, t, onOpen, t.nearby.distance(a.distance_m))));
        show(ol);
        onFound([lat, lon], items);
      },
      () => {
        button.disabled = false;
        button.removeAttribute('aria-busy');
        show(el('p', null, t.nearby.denied));
      },
      { enableHighAccuracy: false, timeout: 15000, maximumAge: 60000 },
    );
  });
}
