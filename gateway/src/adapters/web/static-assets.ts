/**
 * The console's files, read once at start: the page and its script/style from public/, and uPlot
 * (MIT, ~50 KB minified) from node_modules. Served from memory with an ETag.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

// Compiled to dist/src/adapters/web/; the sources stay in src/adapters/web/public/.
const PUBLIC = new URL('../../../../src/adapters/web/public/', import.meta.url);
const require = createRequire(import.meta.url);

const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: fileURLToPath(new URL('index.html', PUBLIC)), type: 'text/html; charset=utf-8' },
  '/assets/app.js': { file: fileURLToPath(new URL('app.js', PUBLIC)), type: 'text/javascript; charset=utf-8' },
  '/assets/app.css': { file: fileURLToPath(new URL('app.css', PUBLIC)), type: 'text/css; charset=utf-8' },
  '/assets/favicon.svg': { file: fileURLToPath(new URL('favicon.svg', PUBLIC)), type: 'image/svg+xml' },
  '/assets/uplot.js': { file: require.resolve('uplot/dist/uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  '/assets/uplot.css': { file: require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

export function loadAssets(): Map<string, Asset> {
  const out = new Map<string, Asset>();
  for (const [route, { file, type }] of Object.entries(FILES)) {
    const body = readFileSync(file);
    out.set(route, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });
  }
  return out;
}
