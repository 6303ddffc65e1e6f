// Builds the page into dist/: index.html, assets/app.js, assets/app.css and
// the images Leaflet's CSS refers to. `node build.mjs --dev` keeps the code
// readable and writes source maps.

import { createHash } from 'node:crypto';
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import t from './src/i18n/fr.js';

const dev = process.argv.includes('--dev');
const root = new URL('./', import.meta.url);
const dist = new URL('dist/', root);

// Empty dist/ but keep .gitkeep, so that a fresh clone still compiles.
for (const name of await readdir(dist).catch(() => [])) {
  if (name !== '.gitkeep') await rm(new URL(name, dist), { recursive: true, force: true });
}

const result = await esbuild.build({
  absWorkingDir: new URL('.', root).pathname,
  entryPoints: { app: 'src/main.js', coverage: 'src/coverage.js' },
  outdir: 'dist/assets',
  entryNames: '[name]',
  assetNames: '[name]-[hash]',
  bundle: true,
  format: 'esm',
  target: 'es2020',
  loader: { '.png': 'file', '.svg': 'file' },
  minify: !dev,
  sourcemap: dev ? 'linked' : false,
  legalComments: 'eof',
  metafile: true,
  logLevel: 'warning',
});

const escapeHTML = (s) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

// index.html: strings from the locale file, asset URLs with a content hash
// so that browsers never keep a stale bundle.
// {{key}} or {{group.key}} names a string of the locale.
for (const [page, assets] of [
  ['index.html', ['app.js', 'app.css']],
  ['couverture.html', ['coverage.js', 'coverage.css']],
]) {
  let html = await readFile(new URL(page, root), 'utf8');
  html = html.replace(/\{\{([\w.]+)\}\}/g, (m, key) => {
    const value = key.split('.').reduce((o, k) => o?.[k], t);
    if (typeof value !== 'string') throw new Error(`${page}: ${m} is not a string of the locale`);
    return escapeHTML(value);
  });
  for (const name of assets) {
    const body = await readFile(new URL(`assets/${name}`, dist));
    const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
    html = html.replace(`"assets/${name}"`, `"assets/${name}?v=${hash}"`);
  }
  await writeFile(new URL(page, dist), html);
}
// The few strings the server writes into the page's <head>.
await writeFile(new URL('strings.json', dist), JSON.stringify(t.server, null, 2));

for (const [file, { bytes }] of Object.entries(result.metafile.outputs)) {
  if (file.endsWith('.map')) continue;
  const gz = gzipSync(await readFile(new URL(file, root))).length;
  console.log(`${file.padEnd(36)} ${(bytes / 1024).toFixed(1).padStart(7)} KiB  ${(gz / 1024).toFixed(1).padStart(6)} KiB gzip`);
}
console.log('dist/index.html, dist/couverture.html, dist/strings.json');
