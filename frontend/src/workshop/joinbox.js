// How to join, readable from the back of the room: a large QR code of the
// participants' URL, the URL itself and the code in large type. The QR
// code is drawn on a canvas by the qrcode library.

import QRCode from 'qrcode';
import { el } from '../dom.js';

/** Fills container with the QR code, URL and code of the participants' page. */
export async function createJoinBox(container, t, { url, code, size = 300 }) {
  const p = t.workshop.projection;
  const title = el('h2', 'pj-join__title', p.joinTitle);
  const canvas = el('canvas', 'pj-join__qr');
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', p.qrLabel(url));
  canvas.dataset.url = url;
  const text = el('div', 'pj-join__text');
  const at = el('p', 'pj-join__at', p.joinAt);
  const link = el('p', 'pj-join__url', url.replace(/^https?:\/\//, ''));
  const codeLabel = el('p', 'pj-join__code-label', p.joinCode);
  const codeText = el('p', 'pj-join__code', code);
  codeText.id = 'join-code';
  text.append(at, link, codeLabel, codeText);
  container.replaceChildren(title, canvas, text);
  // Black on white with a quiet zone of 2 modules: what phone cameras read best.
  await QRCode.toCanvas(canvas, url, {
    width: size,
    margin: 2,
    errorCorrectionLevel: 'M',
    color: { dark: '#000000', light: '#ffffff' },
  });
  canvas.dataset.drawn = 'true';
}
