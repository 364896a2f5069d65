/** Every gateway error code is documented (the lead merges the store docs into docs/errors.md). */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { GATEWAY_ERROR_CODES, GatewayError, isGatewayError } from '../../src/adapters/store/index.js';

const doc = readFileSync(new URL('../../../src/adapters/store/docs-store.md', import.meta.url), 'utf8');

test('every GatewayError code is in gateway/src/adapters/store/docs-store.md', (t) => {
  for (const code of Object.keys(GATEWAY_ERROR_CODES)) t.true(doc.includes(`\`${code}\``), `${code} missing`);
});

test('GatewayError carries code, context and cause', (t) => {
  const cause = new Error('disk I/O error');
  const e = new GatewayError('E_STORE_WRITE', 'x', { path: '/data/gw.db' }, { cause });
  t.true(isGatewayError(e));
  t.like(e, { name: 'GatewayError', code: 'E_STORE_WRITE', context: { path: '/data/gw.db' }, cause });
});
