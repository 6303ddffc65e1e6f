// The workshop's event stream (GET api/workshops/{id}/events, server-sent
// events). The browser reconnects by itself and sends Last-Event-ID; when
// the server refused the stream (an error status), it is opened again
// after a growing pause with ?last_event_id=, so that nothing is lost.
// Applying an event twice is harmless: every event carries a state, not
// a difference.

import { eventsURL } from './api.js';

export const EVENTS = [
  'annotation.added',
  'annotation.changed',
  'annotation.hidden',
  'annotation.removed',
  'vote',
  'status',
  'view',
  'workshop.changed',
];

const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 30000;

/**
 * Opens the stream of workshop id. onEvent(name, data) gets each event;
 * onState("live" | "down") tells whether the stream is up. Returns
 * {ready, close()}: ready resolves once the stream answered or failed the
 * first time, so that a page loads its list after subscribing and misses
 * nothing in between.
 */
export function connectEvents(id, token, { onEvent, onState }) {
  let source = null;
  let last = '';
  let closed = false;
  let retry = FIRST_RETRY_MS;
  let timer = null;
  let settle;
  const ready = new Promise((resolve) => {
    settle = resolve;
  });

  function open() {
    source = new EventSource(eventsURL(id, token, last));
    source.addEventListener('open', () => {
      retry = FIRST_RETRY_MS;
      onState?.('live');
      settle();
    });
    source.addEventListener('error', () => {
      if (closed) return;
      onState?.('down');
      settle();
      if (source.readyState === EventSource.CLOSED) {
        source.close();
        timer = setTimeout(open, retry);
        retry = Math.min(retry * 2, MAX_RETRY_MS);
      }
    });
    for (const name of EVENTS) {
      source.addEventListener(name, (e) => {
        if (e.lastEventId) last = e.lastEventId;
        let data;
        try {
          data = JSON.parse(e.data);
        } catch {
          console.warn('maillage: event', name, 'is not JSON');
          return;
        }
        onEvent(name, data);
      });
    }
  }

  open();
  return {
    ready,
    close() {
      closed = true;
      clearTimeout(timer);
      source?.close();
    },
  };
}

/**
 * Applies a stream event to the annotations collection. seeHidden: the
 * page is the animator's, which keeps hidden annotations (marked so)
 * instead of dropping them. Returns true when the event was about
 * annotations.
 */
export function applyAnnotationEvent(annotations, name, data, { seeHidden = false } = {}) {
  const id = Number(data?.id);
  switch (name) {
    case 'annotation.added':
    case 'annotation.changed':
      if (data.state === 'hidden' && !seeHidden) annotations.remove(data.id);
      else annotations.upsert(data, { fromStream: true });
      return true;
    case 'annotation.hidden':
      if (seeHidden) annotations.patch(id, { state: 'hidden' });
      else annotations.remove(id);
      return true;
    case 'annotation.removed':
      annotations.remove(id);
      return true;
    case 'vote':
      if (Number.isInteger(data.votes)) annotations.patch(id, { votes: data.votes });
      return true;
    default:
      return false;
  }
}
