// Choosing an annotation's place on the map: a point by one tap, a line
// or a zone drawn with leaflet-geoman. The plugin is loaded the first
// time a line or a zone is drawn, so that the page's first load stays
// small; it extends the global L, as Leaflet plugins do.

import L from 'leaflet';

let loading = null;

/** Loads leaflet-geoman once and returns L.PM. */
export function loadGeoman() {
  if (!loading) {
    globalThis.L = globalThis.L ?? L;
    loading = import('@geoman-io/leaflet-geoman-free').then(() => globalThis.L.PM);
    loading.catch(() => {
      loading = null;
    });
  }
  return loading;
}

const SHAPES = { line: 'Line', zone: 'Polygon' };

/** Returns the GeoJSON geometry of a Leaflet layer, with 6 decimals (about 10 cm). */
function geometryOf(layer) {
  return layer.toGeoJSON(6).geometry;
}

/**
 * Adds the drawing tool to map. onGeometry(geometry | null) is called when
 * the chosen place changes; onMode(mode | null) when the tool starts
 * ("point", "line", "zone") or stops.
 */
export function createDrawing(map, { onGeometry, onMode }) {
  let mode = null;
  let color = '#1d4ed8';
  let draft = null; // the chosen place, drawn in the kind's colour
  let pm = null; // L.PM once loaded

  function setMode(m) {
    mode = m;
    map.getContainer().classList.toggle('map--placing', m !== null);
    map.getContainer().dataset.drawing = m ?? '';
    onMode?.(m);
  }

  function showDraft(geometry) {
    draft?.remove();
    draft = null;
    if (!geometry) return;
    const style = { color, weight: 5, dashArray: '6 6', fillColor: color, fillOpacity: 0.2, interactive: false };
    if (geometry.type === 'Point') {
      const [lon, lat] = geometry.coordinates;
      draft = L.circleMarker([lat, lon], { ...style, radius: 12, dashArray: null, fillOpacity: 0.5 });
    } else {
      draft = L.geoJSON(geometry, { style: () => style, interactive: false });
    }
    draft.addTo(map);
    map.getContainer().dataset.draft = geometry.type;
  }

  function choose(geometry) {
    showDraft(geometry);
    if (!geometry) delete map.getContainer().dataset.draft;
    onGeometry?.(geometry);
  }

  map.on('click', (e) => {
    if (mode !== 'point') return;
    const { lat, lng } = e.latlng.wrap();
    choose({ type: 'Point', coordinates: [Number(lng.toFixed(6)), Number(lat.toFixed(6))] });
    setMode(null);
  });

  function stopDrawing() {
    if (pm && map.pm) map.pm.disableDraw();
  }

  return {
    mode: () => mode,

    /** The colour of the draft and of the lines being drawn (the kind's). */
    setColor(c) {
      color = c;
    },

    /** Starts choosing a place: "point" waits for a tap; "line" and "zone" load the plugin. */
    async start(m) {
      stopDrawing();
      if (m === 'point') {
        setMode('point');
        return;
      }
      setMode(m);
      pm = await loadGeoman();
      if (mode !== m) return; // cancelled while loading
      if (!map.pm) pm.reInitLayer(map);
      map.off('pm:create');
      map.on('pm:create', ({ layer }) => {
        const geometry = geometryOf(layer);
        layer.remove();
        setMode(null);
        choose(geometry);
      });
      const style = { color, weight: 5 };
      map.pm.enableDraw(SHAPES[m], {
        tooltips: false,
        snappable: true,
        allowSelfIntersection: false,
        templineStyle: style,
        hintlineStyle: { ...style, dashArray: '6 6' },
        pathOptions: { ...style, fillColor: color, fillOpacity: 0.2 },
      });
    },

    /** Ends the line or zone being drawn, when it has enough points. */
    finish() {
      if (!pm || !map.pm || (mode !== 'line' && mode !== 'zone')) return;
      // The action behind geoman's own "Finish" toolbar button.
      map.pm.Draw[SHAPES[mode]]?._finishShape();
    },

    /** Stops the tool, keeping the place already chosen. */
    cancel() {
      stopDrawing();
      setMode(null);
    },

    /** Sets the place from elsewhere (the address form); null clears it. */
    set(geometry) {
      stopDrawing();
      setMode(null);
      choose(geometry);
    },
  };
}
