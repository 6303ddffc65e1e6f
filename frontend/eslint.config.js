// ESLint's recommended rules over the page's modules (run in the browser)
// and the build script (run by Node). `make lint` runs it.

import js from '@eslint/js';
import globals from 'globals';

export default [
  { ignores: ['dist/', 'node_modules/'] },
  js.configs.recommended,
  { files: ['src/**/*.js'], languageOptions: { globals: globals.browser } },
  { files: ['*.js', '*.mjs'], languageOptions: { globals: globals.node } },
];
