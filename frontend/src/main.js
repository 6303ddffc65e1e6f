// Entry point of the map page.

import 'leaflet/dist/leaflet.css';
import './style.css';

import t from './i18n/fr.js';
import { fetchActors, fetchSectors } from './api.js';
import { readConfig } from './config.js';
import { createLegend } from './legend.js';
import { createMap } from './map.js';
import { indexSectors } from './sectors.js';
import { createStatus } from './status.js';
import { createCorrection } from './correction.js';
import { createSearch } from './search.js';

function start() {
  const status = createStatus(
    { notices: document.getElementById('notices'), panel: document.getElementById('panel') },
    t,
  );
  const count = document.getElementById('actor-count');
  const view = createMap(document.getElementById('map'), readConfig(), t, {
    onBasemapError: () => status.notice(t.basemapError),
    onActorSelect: (marker) => correction.select(marker),
  });
  createSearch(view.map, status, t);
  const correction = createCorrection(view.map, status, t);

  let legend = null;
  let attributed = false;

  async function load() {
    status.loading();
    let sectors, fc;
    try {
      [sectors, fc] = await Promise.all([fetchSectors(), fetchActors()]);
    } catch (err) {
      console.error('maillage:', err);
      status.error(load);
      return;
    }
    status.done();

    const index = indexSectors(sectors);
    const drawn = view.showActors(fc, index);
    if (!attributed) {
      view.addDataAttribution(fc.attribution);
      attributed = true;
    }
    legend?.remove();
    legend = null;
    count.textContent = t.actorCount(drawn.length);
    count.dataset.count = String(drawn.length);

    if (drawn.length === 0) {
      status.empty();
      return;
    }
    legend = createLegend(drawn, index, t).addTo(view.map);
    if (fc.truncated === true) {
      const returned = Number.isFinite(fc.numberReturned) ? fc.numberReturned : fc.features.length;
      const matched = Number.isFinite(fc.numberMatched) ? fc.numberMatched : returned;
      status.notice(t.truncated(returned, matched));
    }
  }

  load();
}

start();
