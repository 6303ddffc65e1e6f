// Builds the pages into dist/: one HTML shell per page (the map and the
// workshops' pages), each with its entry script and stylesheet under
// assets/, the chunks they share, the drawing plugin's chunk (loaded only
// when a line or a zone is drawn) and the images Leaflet's CSS refers to.
// `node build.mjs --dev` keeps the code readable and writes source maps.
// The build fails when a page's first load is over its budget.

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

// Each page: its HTML shell, its entry point's name and source, the
// locale keys of its title and description, whether search engines
// should leave it out (noindex), and the most its first load
// (HTML, scripts and styles, gzip-compressed) may weigh, in KiB.
const pages = [
  { html: 'index.html', entry: 'app', src: 'src/main.js', title: 'title', description: 'description' },
  { html: 'atelier.html', entry: 'participant', src: 'src/workshop/participant.js', title: 'workshop.appName', budgetKiB: 150 },
  { html: 'projection.html', entry: 'projection', src: 'src/workshop/projection.js', title: 'workshop.appName' },
  { html: 'synthese.html', entry: 'record', src: 'src/workshop/record.js', title: 'workshop.appName' },
  { html: 'ateliers.html', entry: 'keeper', src: 'src/workshop/keeper.js', title: 'server.workshopsTitle' },
  { html: 'couverture.html', entry: 'coverage', src: 'src/coverage.js', title: 'coverage.pageTitle', description: 'coverage.description' },
  { html: 'connexion.html', entry: 'signin', src: 'src/signin.js', title: 'signin.pageTitle', noindex: true },
  { html: 'moderation.html', entry: 'moderation', src: 'src/moderation.js', title: 'moderation.pageTitle', noindex: true },
];

// The <head> every shell shares, in place of its <!-- maillage-head -->:
// title, description, icon, the entry's stylesheet and script, and the
// place where the server writes its configuration.
const icon =
  'data:image/svg+xml,%3Csvg xmlns=%22http://www.w3.org/2000/svg%22 viewBox=%220 0 16 16%22%3E%3Ccircle cx=%228%22 cy=%228%22 r=%226%22 fill=%22%23c2410c%22/%3E%3C/svg%3E';
const head = (p) =>
  [
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>{{${p.title}}}</title>`,
    ...(p.description ? [`<meta name="description" content="{{${p.description}}}">`] : []),
    ...(p.noindex ? ['<meta name="robots" content="noindex">'] : []),
    `<link rel="icon" href="${icon}">`,
    `<link rel="stylesheet" href="assets/${p.entry}.css">`,
    '<!-- maillage-config -->',
    `<script type="module" src="assets/${p.entry}.js"></script>`,
    '</head>',
  ].join('\n');

const result = await esbuild.build({
  absWorkingDir: new URL('.', root).pathname,
  entryPoints: Object.fromEntries(pages.map((p) => [p.entry, p.src])),
  outdir: 'dist/assets',
  entryNames: '[name]',
  chunkNames: 'chunk-[hash]',
  assetNames: '[name]-[hash]',
  bundle: true,
  splitting: true,
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

// The HTML shells: strings from the locale file ({{key}} or
// {{group.key}}), asset URLs with a content hash so that browsers never
// keep a stale bundle (chunks carry theirs in their names).
const lookup = (path) => path.split('.').reduce((o, k) => (o && typeof o === 'object' ? o[k] : undefined), t);
const gzipKiB = (bytes) => gzipSync(bytes).length / 1024;
const outputOf = (entry) =>
  Object.entries(result.metafile.outputs).find(([file, o]) => o.entryPoint && file === `dist/assets/${entry}.js`);
const shells = [];
for (const p of pages) {
  let html = await readFile(new URL(p.html, root), 'utf8');
  if (!html.includes('<!-- maillage-head -->')) throw new Error(`${p.html} has no <!-- maillage-head -->`);
  html = html.replace('<!-- maillage-head -->', head(p));
  html = html.replace(/\{\{([\w.]+)\}\}/g, (m, key) => {
    const v = lookup(key);
    if (typeof v !== 'string') throw new Error(`${p.html}: ${m} is not a string of the locale`);
    return escapeHTML(v);
  });
  for (const name of [`${p.entry}.js`, `${p.entry}.css`]) {
    const body = await readFile(new URL(`assets/${name}`, dist));
    const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
    if (!html.includes(`"assets/${name}"`)) throw new Error(`${p.html} does not refer to assets/${name}`);
    html = html.replace(`"assets/${name}"`, `"assets/${name}?v=${hash}"`);
  }
  await writeFile(new URL(p.html, dist), html);

  // First load: the shell, the entry, the chunks it imports statically
  // (not the dynamic ones, such as the drawing plugin) and its CSS.
  const [file, out] = outputOf(p.entry);
  const seen = new Set();
  const walk = (f) => {
    if (seen.has(f)) return;
    seen.add(f);
    for (const imp of result.metafile.outputs[f].imports) if (imp.kind === 'import-statement') walk(imp.path);
  };
  walk(file);
  let kib = gzipKiB(Buffer.from(html));
  for (const f of seen) kib += gzipKiB(await readFile(new URL(f, root)));
  if (out.cssBundle) kib += gzipKiB(await readFile(new URL(out.cssBundle, root)));
  shells.push({ ...p, kib, files: seen.size });
}

// The few strings the server writes into the page's <head>.
await writeFile(new URL('strings.json', dist), JSON.stringify(t.server, null, 2));

for (const [file, { bytes }] of Object.entries(result.metafile.outputs)) {
  if (file.endsWith('.map')) continue;
  const gz = gzipKiB(await readFile(new URL(file, root)));
  console.log(`${file.padEnd(36)} ${(bytes / 1024).toFixed(1).padStart(7)} KiB  ${gz.toFixed(1).padStart(6)} KiB gzip`);
}
console.log(`dist/{${pages.map((p) => p.html).join(',')}}, dist/strings.json`);
let over = false;
for (const s of shells) {
  const budget = s.budgetKiB ? ` (budget ${s.budgetKiB} KiB)` : '';
  console.log(`first load of ${s.html.padEnd(16)} ${s.kib.toFixed(1).padStart(6)} KiB gzip: HTML, ${s.files} scripts, CSS${budget}`);
  if (s.budgetKiB && s.kib > s.budgetKiB) over = true;
}
if (over) {
  console.error('a page is over its first-load budget');
  process.exit(1);
}
