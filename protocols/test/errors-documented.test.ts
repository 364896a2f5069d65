import test from 'ava';
import { readFileSync } from 'node:fs';
import { ERROR_CODES, PrepaidError, frameError } from '../src/errors.js';

const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');

test('every error code is documented in docs/errors.md', (t) => {
  for (const code of Object.keys(ERROR_CODES)) t.true(doc.includes(`\`${code}\``), `${code} missing from docs/errors.md`);
});

test('docs/errors.md lists no code that does not exist', (t) => {
  const listed = [...doc.matchAll(/`(E_[A-Z0-9_]+)`/g)].map((m) => m[1]!);
  for (const code of listed) t.true(code in ERROR_CODES, `${code} is documented but not in the registry`);
});

test('frame errors carry code, offset and the offset in the message', (t) => {
  const e = frameError('E_FRAME_CRC', 'CRC mismatch', 6);
  t.true(e instanceof PrepaidError);
  t.is(e.code, 'E_FRAME_CRC');
  t.is(e.offset, 6);
  t.regex(e.message, /at byte 6/);
});
