// Entry point of the map page.

import 'leaflet/dist/leaflet.css';
import './style.css';

import L from 'leaflet';
import t from './i18n/fr.js';
import { fetchSectors, fetchTileJSON, listActors } from './api.js';
import { createDetails } from './card.js';
import { readConfig } from './config.js';
import { createCorrection } from './correction.js';
import { addEmbedLegend, addFullMapLink, lockLegend } from './embed.js';
import { createLegend } from './legend.js';
import { createList } from './list.js';
import { createMap } from './map.js';
import { createNearby } from './nearby.js';
import { createSearch } from './search.js';
import { indexSectors, primarySector } from './sectors.js';
import { createShare } from './share.js';
import { loadSession } from './session.js';
import { createSuggest } from './suggest.js';
import { historyButton } from './history.js';
import { addTerritoryControl, firstBounds } from './territories.js';
import { createStatus } from './status.js';
import { readURL, root, stateURL, writeURL } from './urlstate.js';
import { createWorkshopOverlay } from './workshoplayer.js';

const WORLD = [-180, -90, 180, 90];

/** Debounces f by ms. */
function later(f, ms) {
  let timer = null;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(f, ms);
  };
}

/** The mobile layout's two views: the map, or the list and filters. */
function setupTabs() {
  const tabs = [document.getElementById('tab-map'), document.getElementById('tab-list')];
  const show = (which) => {
    document.body.dataset.view = which;
    tabs[0].setAttribute('aria-pressed', String(which === 'map'));
    tabs[1].setAttribute('aria-pressed', String(which === 'list'));
  };
  tabs[0].addEventListener('click', () => show('map'));
  tabs[1].addEventListener('click', () => show('list'));
  show('map');
  return show;
}

async function start() {
  const config = readConfig();
  const initial = readURL(window.location, config.actorId);
  const embed = initial.embed; // false, or the embed's options
  if (embed) {
    document.body.classList.add('embed');
    document.body.classList.toggle('embed--search', embed.search);
  }
  const status = createStatus(
    { notices: document.getElementById('notices'), panel: document.getElementById('panel') },
    t,
  );
  const count = document.getElementById('actor-count');

  status.loading();
  let sectorItems, tilejson, located;
  try {
    [sectorItems, tilejson, located] = await Promise.all([
      fetchSectors(),
      fetchTileJSON(),
      listActors({ bbox: WORLD.join(','), limit: '1' }),
    ]);
  } catch (err) {
    console.error('maillage:', err);
    status.error(() => window.location.reload());
    return;
  }
  status.done();

  const sectors = indexSectors(sectorItems);
  const visible = new Set(initial.sectors ? initial.sectors.filter((s) => sectors.has(s)) : sectors.keys());
  // An embed with locked sectors shows those only, and for good.
  const locked = embed?.lock && visible.size > 0 ? [...sectors.keys()].filter((s) => visible.has(s)) : null;
  const allShown = () => visible.size === sectors.size;
  const shownSlugs = () => locked ?? (allShown() ? null : [...sectors.keys()].filter((s) => visible.has(s)));

  // data-count tells (tests, too) that the actors are on the map: it is set
  // once the first tiles are in.
  count.textContent = t.actorCount(located.total);
  const drawn = () => {
    count.dataset.count = String(located.total);
  };

  const showView = setupTabs();
  let selected = initial.actor; // id of the open actor
  let details = null;
  let correction = null;

  const view = createMap(document.getElementById('map'), config, t, {
    sectors,
    visible,
    onBasemapError: () => status.notice(t.basemapError),
    onActorClick: (hit) => {
      if (correction?.select(hit)) return;
      if (hit.here?.length > 1) {
        view.select({ latlng: hit.latlng, name: t.card.atAddress(hit.here.length) });
        details.showPlace(hit.here, (a) => openActor(a.id, { latlng: hit.latlng, name: a.name }));
        return;
      }
      openActor(hit.id, { latlng: hit.latlng, name: hit.name });
    },
    onTiles: later(() => refreshCounts(), 150),
    onMove: later(() => refresh(), 200),
  });
  const { map } = view;
  // The drawn points, readable by tests: document.querySelector("#map").layerState().
  map.getContainer().layerState = () => view.actors.layerState();
  map.getContainer().clusterSource = () => view.actors.clusterSource();
  view.addDataAttribution(tilejson.attribution);
  addTerritoryControl(map, t);
  // An embed links to the full map of the same view, unless told not to.
  const fullMapLink = embed?.full ? addFullMapLink(map, t) : null;
  // The keepers' tools live in the keepers' space only (/gestion).
  if (config.keeper && !embed) {
    document.body.classList.add('keeper-space');
    correction = createCorrection(map, status, t, view.actors);
  }

  function state(options = embed) {
    const c = map.getCenter();
    return { center: [c.lat, c.lng], zoom: map.getZoom(), sectors: shownSlugs(), actor: selected, embed: options, keeper: config.keeper };
  }

  const legendEl = document.getElementById('legend');
  const legendSectors = locked ? new Map(locked.map((s) => [s, sectors.get(s)])) : sectors;
  const legend = createLegend(legendEl, legendSectors, visible, t, () => {
    view.actors.redraw();
    refresh();
  });
  if (locked) lockLegend(legendEl, t);
  if (embed?.legend) addEmbedLegend(map, legendEl, t);
  createWorkshopOverlay(document.getElementById('workshop-layer'), map, t);
  const list = createList(
    document.getElementById('list'),
    sectors,
    t,
    (actor) => openActor(actor.id, { actor }),
    () => applyText(null),
  );

  // A text search: the matching actors (at most 500) replace the tiles on
  // the map, and the list shows them nearest to the view's centre first.
  let textFilter = null;
  let matchLayer = null;
  async function applyText(q) {
    textFilter = q;
    matchLayer?.remove();
    matchLayer = null;
    view.actors.setFiltered(q !== null);
    delete map.getContainer().dataset.matches;
    refresh();
    if (q === null) return;
    let page;
    try {
      const slugs = shownSlugs();
      page = await listActors({ q, limit: '500', ...(slugs ? { sectors: slugs.join(',') } : {}) });
    } catch (err) {
      console.warn('maillage:', err);
      status.notice(t.list.failed);
      return;
    }
    if (textFilter !== q) return;
    const markers = [];
    for (const a of page.items) {
      const at = latLngOf(a);
      if (!at) continue;
      const m = L.circleMarker(at, {
        radius: 8,
        color: '#ffffff',
        weight: 2,
        fillColor: primarySector(a, sectors)?.color ?? '#6b7280',
        fillOpacity: 0.95,
      });
      m.on('click', () => openActor(a.id, { actor: a, latlng: at, name: a.name }));
      markers.push(m);
    }
    matchLayer = L.layerGroup(markers).addTo(map);
    map.getContainer().dataset.matches = String(markers.length);
  }

  // The public's suggestions (not in embeds): a new structure from the
  // header, a correction from an actor's panel; moderators see the count
  // of pending ones.
  const suggest = initial.embed ? null : createSuggest(t, sectorItems, status);
  if (suggest) {
    const open = document.createElement('button');
    open.type = 'button';
    open.id = 'suggest-button';
    open.className = 'button button--header';
    open.textContent = t.suggest.open;
    open.addEventListener('click', () => suggest.open());
    document.getElementById('share-button')?.before(open);
    sessionKnown = showPendingCount(open);
  }

  details = createDetails(document.getElementById('details'), sectors, t, {
    actorExtra: (actor) => {
      if (!suggest) return null;
      const extra = document.createElement('div');
      const report = document.createElement('button');
      report.type = 'button';
      report.className = 'button details__report';
      report.textContent = t.suggest.report;
      report.addEventListener('click', () => suggest.open(actor));
      extra.append(report);
      // Keepers signed in see the history, and restore a version.
      // After a restore the panel is drawn again with the restored
      // actor, its history still open and saying so.
      if (editorSession) {
        // Kept while this actor is shown: the panel may be drawn more
        // than once for one opening.
        const again = reopenHistory === actor.id;
        if (!again) reopenHistory = null;
        const restored = () => {
          reopenHistory = actor.id;
          details.open(actor.id, { focus: false });
        };
        extra.append(historyButton(actor, t, restored, { expanded: again, message: again ? t.history.restored : '' }));
      }
      return extra;
    },
    linkOf: (id) => stateURL({ actor: id }).href,
    onClose: () => {
      reopenHistory = null;
      selected = null;
      selectedAt = null;
      view.select(null);
      writeURL(state());
    },
  });

  // The panel never hides the attribution, nor the actor it describes.
  const detailsEl = document.getElementById('details');
  const phone = () => window.matchMedia('(max-width: 48rem)').matches;
  const corner = map.getContainer().querySelector('.leaflet-bottom.leaflet-right');
  /** The part of the map not under the panel: {w, h} from the map's top left. */
  function clearArea() {
    const size = map.getSize();
    const area = { w: size.x, h: size.y };
    if (detailsEl.hidden) return area;
    const m = map.getContainer().getBoundingClientRect();
    const p = detailsEl.getBoundingClientRect();
    if (phone()) area.h = Math.max(48, Math.min(size.y, p.top - m.top));
    else area.w = Math.max(48, Math.min(size.x, p.left - m.left));
    return area;
  }
  function clearOfPanel() {
    const area = clearArea();
    const size = map.getSize();
    corner.style.bottom = area.h < size.y ? `${size.y - area.h}px` : '';
    corner.style.right = area.w < size.x ? `${size.x - area.w}px` : '';
  }
  let selectedAt = null; // where the open actor is
  new ResizeObserver(() => {
    clearOfPanel();
    if (selectedAt && !detailsEl.hidden) reveal(selectedAt);
  }).observe(detailsEl);
  window.addEventListener('resize', clearOfPanel);
  /** Pans the map so that at is in the part of the map the panel leaves free. */
  function reveal(at) {
    const { w, h } = clearArea();
    const pt = map.latLngToContainerPoint(at);
    const margin = 24;
    if (pt.x < margin || pt.y < margin || pt.x > w - margin || pt.y > h - margin) {
      map.panBy([pt.x - w / 2, pt.y - h / 2], { animate: false });
    }
  }

  function latLngOf(actor) {
    const c = actor?.location?.coordinates;
    return Array.isArray(c) ? L.latLng(c[1], c[0]) : null;
  }

  /** Opens an actor's panel and marks it; moves the map only when it is out of view. */
  async function openActor(id, { latlng = null, name = '', actor = null, move = true, focus = true } = {}) {
    selected = id;
    // On phones the panel is over the map: show the map with it.
    if (phone() && document.body.dataset.view !== 'map' && !embed) {
      showView('map');
      map.invalidateSize();
    }
    const known = latlng ?? latLngOf(actor);
    if (known) view.select({ latlng: known, name: actor?.name ?? name });
    writeURL(state());
    const full = await details.open(id, { focus });
    if (!full || selected !== id) return null;
    const at = latLngOf(full);
    if (at) {
      selectedAt = at;
      view.select({ latlng: at, name: full.name });
      if (move && (!map.getBounds().contains(at) || map.getZoom() < config.actorZoom)) {
        map.setView(at, Math.max(map.getZoom(), config.actorZoom + 2), { animate: false });
      }
      if (move) reveal(at);
      clearOfPanel();
      writeURL(state());
    }
    return full;
  }

  function refreshCounts() {
    if (view.actors.loaded()) drawn();
    legend.setCounts(view.actors.countInView());
    map.getContainer().dataset.sectors = view.actors.drawnSectors().join(' ');
  }

  function refresh() {
    const b = map.getBounds();
    const bbox = [
      Math.max(-180, b.getWest()),
      Math.max(-85.06, b.getSouth()),
      Math.min(180, b.getEast()),
      Math.min(85.06, b.getNorth()),
    ];
    const c = map.getCenter();
    list.update(bbox, shownSlugs(), textFilter ? { q: textFilter, near: [c.lat, c.lng] } : null);
    refreshCounts();
    writeURL(state());
    if (fullMapLink) fullMapLink.href = stateURL({ ...state(false), keeper: false }).href;
  }

  createSearch(document.getElementById('search'), t, {
    sectors: locked ? new Map() : sectors,
    onSector: (slug) => {
      legend.only(slug);
      view.actors.redraw();
      refresh();
    },
    onText: (q) => applyText(q),
    onPlace: (latlng, zoom) => {
      map.setView(latlng, zoom);
      showView('map');
    },
    onActor: (actor) => openActor(actor.id, { actor }),
    notice: (text) => status.notice(text),
  });

  createNearby(document.getElementById('nearby-button'), document.getElementById('nearby'), sectors, t, {
    selectedSectors: shownSlugs,
    onFound: (latlng, actors) => {
      view.showPosition(latlng);
      const bounds = L.latLngBounds([latlng]);
      for (const a of actors) {
        const at = latLngOf(a);
        if (at) bounds.extend(at);
      }
      map.fitBounds(bounds, { padding: [32, 32], maxZoom: 16 });
      showView('list');
    },
    onOpen: (actor) => openActor(actor.id, { actor }),
  });

  createShare(document.getElementById('share-button'), t, {
    sectors,
    shown: () => [...sectors.keys()].filter((s) => visible.has(s)),
    urlOf: (options, slugs = shownSlugs()) => stateURL({ ...state(options), sectors: slugs, keeper: false }).href,
  });

  // The first view: the URL's, else the actor's, else every actor.
  if (initial.center && initial.zoom !== null) {
    map.setView(initial.center, initial.zoom);
  } else if (!initial.actor) {
    const [w, s, e, n] = Array.isArray(tilejson.bounds) ? tilejson.bounds : [];
    if (located.total > 0 && Number.isFinite(w) && !(w <= -180 && e >= 180)) {
      map.fitBounds(firstBounds([w, s, e, n]), { padding: [24, 24], maxZoom: 13 });
    }
    // The TileJSON's bounds are rounded to grid cells: a small directory
    // is fitted to its actors exactly.
    if (located.total > 0 && located.total <= 100) {
      try {
        const few = await listActors({ bbox: WORLD.join(','), limit: '100' });
        const b = L.latLngBounds(few.items.map(latLngOf).filter(Boolean));
        if (b.isValid()) map.fitBounds(b, { padding: [24, 24], maxZoom: 13 });
      } catch (err) {
        console.warn('maillage:', err);
      }
    }
  }
  refresh();

  if (config.notFound) status.notice(t.card.notFound);
  if (initial.actor) {
    await sessionKnown; // a keeper's panel shows the history
    const full = await openActor(initial.actor, { move: false, focus: false });
    const at = latLngOf(full);
    if (at && !(initial.center && initial.zoom !== null)) map.setView(at, Math.max(config.actorZoom + 3, 15));
  }
  if (located.total === 0) {
    drawn();
    status.empty();
  }
}

start();

// showPendingCount adds, after el, a link to the moderation page with the
// count of pending suggestions, for a moderator signed in, when there are.
// editorSession is the session of a keeper or an admin signed in, else null.
let editorSession = null;
// sessionKnown resolves once the session is read (editorSession set).
let sessionKnown = Promise.resolve();
// reopenHistory is the id of the actor whose version was just restored.
let reopenHistory = null;

async function showPendingCount(el) {
  try {
    const session = await loadSession();
    if (session && ['admin', 'keeper'].includes(session.user.role)) editorSession = session;
    if (!session || !['admin', 'keeper', 'moderator'].includes(session.user.role)) return;
    const res = await fetch(new URL('api/suggestions/count', root), { headers: { Accept: 'application/json' } });
    if (!res.ok) return;
    const { pending } = await res.json();
    if (!pending) return;
    const link = document.createElement('a');
    link.className = 'app-link';
    link.id = 'pending-suggestions';
    link.href = new URL('moderation', root).href;
    link.textContent = t.suggest.pendingLink(pending);
    el.after(link);
  } catch (err) {
    console.error('maillage:', err);
  }
}
