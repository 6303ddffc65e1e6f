// The animator's controls on the projection: open and close the workshop
// (closing asks for a second press, never a dialog), publish its record,
// push the view to every phone that follows, open the record.

import { button, el } from '../dom.js';

const CONFIRM_MS = 6000;

/**
 * Fills container with the controls. Callbacks resolve when done:
 * onStatus(status), onPublish(published), onPushView(). recordURL is the
 * record page's URL. Returns {render(workshop)}.
 */
export function createControls(container, t, { onStatus, onPublish, onPushView, recordURL }) {
  const p = t.workshop.projection;
  const title = el('h2', 'visually-hidden', p.controls);
  const row = el('div', 'pj-controls__row');
  container.replaceChildren(title, row);
  let workshop = null;

  function control(id, text, className, run) {
    const b = button(`button pj-control ${className}`, text);
    b.id = id;
    b.addEventListener('click', async () => {
      b.disabled = true;
      try {
        await run(b);
      } finally {
        b.disabled = false;
      }
    });
    return b;
  }

  function render() {
    const items = [];
    const s = workshop.status;
    if (s === 'draft') items.push(control('control-open', p.open, 'pj-control--go', () => onStatus('open')));
    if (s === 'open') {
      items.push(
        control('control-close', p.close, 'pj-control--stop', async (b) => {
          if (b.dataset.confirm !== 'true') {
            b.dataset.confirm = 'true';
            b.textContent = p.confirmClose;
            setTimeout(() => {
              if (!b.isConnected) return;
              b.dataset.confirm = '';
              b.textContent = p.close;
            }, CONFIRM_MS);
            return;
          }
          await onStatus('closed');
        }),
      );
    }
    if (s === 'closed') {
      items.push(control('control-open', p.reopen, 'pj-control--go', () => onStatus('open')));
      items.push(
        control('control-publish', workshop.published ? p.unpublish : p.publish, '', () => onPublish(!workshop.published)),
      );
    }
    items.push(control('control-push', p.pushView, '', () => onPushView()));
    const record = el('a', 'button button--quiet pj-control', p.record);
    record.href = recordURL();
    record.target = '_blank';
    record.rel = 'noopener';
    record.id = 'control-record';
    items.push(record);
    row.replaceChildren(...items);
  }

  return {
    render(w) {
      workshop = w;
      render();
    },
  };
}
