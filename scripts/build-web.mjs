// Builds the web UI (src/web/ui) into dist/web/ui: one JS bundle (Preact + uPlot + the views), one stylesheet and
// the page, all served from the package so the UI needs no network. Run by `make build` (target `web`).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'src/web/ui');
const out = path.join(root, 'dist/web/ui');
fs.mkdirSync(out, { recursive: true });
await build({
  entryPoints: [path.join(src, 'app.tsx')],
  bundle: true,
  minify: true,
  format: 'iife',
  target: 'es2020',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outfile: path.join(out, 'app.js'),
  legalComments: 'none',
  logLevel: 'warning',
});
const uplotCss = fs.readFileSync(path.join(root, 'node_modules/uplot/dist/uPlot.min.css'), 'utf8');
fs.writeFileSync(path.join(out, 'app.css'), uplotCss + '\n' + fs.readFileSync(path.join(src, 'style.css'), 'utf8'));
fs.copyFileSync(path.join(src, 'index.html'), path.join(out, 'index.html'));
