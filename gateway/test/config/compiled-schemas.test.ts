/**
 * The ahead-of-time compiled validators (schema/compiled/, scripts/compile-schemas.mjs) match their
 * schemas: a schema edited without regenerating fails here, not silently at a technician's `config check`.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import test from 'ava';

const SCRIPT = fileURLToPath(new URL('../../../../scripts/compile-schemas.mjs', import.meta.url));

test('every schema/compiled/*.js (and its .d.ts) is its schema compiled with the options the code used before', (t) => {
  const r = spawnSync(process.execPath, [SCRIPT, '--check'], { encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
});
