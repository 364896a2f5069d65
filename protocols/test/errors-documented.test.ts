import test from 'ava';
import { readFileSync } from 'node:fs';
import { ERROR_CODES, PrepaidError, RETRYABLE, frameError, isRetryable, type ErrorCode } from '../src/errors.js';

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

test('docs/errors.md lists exactly the retryable codes under "Retry or permanent"', (t) => {
  const section = doc.slice(doc.indexOf('## Retry or permanent'));
  const from = section.indexOf('Retryable:');
  const end = section.indexOf('\n\n', from);
  const line = section.slice(from, end === -1 ? undefined : end);
  const listed = [...line.matchAll(/`(E_[A-Z0-9_]+)`/g)].map((m) => m[1]!).sort();
  const retryable = Object.keys(ERROR_CODES).filter((c) => RETRYABLE[c as ErrorCode]).sort();
  t.deepEqual(listed, retryable);
});

test('every code says whether it is worth a retry; the error carries it', (t) => {
  for (const code of Object.keys(ERROR_CODES)) t.is(typeof RETRYABLE[code as ErrorCode], 'boolean', code);
  t.true(new PrepaidError('E_MODBUS_TIMEOUT', 'no reply').retryable);
  t.false(new PrepaidError('E_TOKEN_USED', 'replay').retryable);
  t.true(isRetryable(new PrepaidError('E_BUS_UNAVAILABLE', 'unplugged')));
  t.false(isRetryable(new Error('not ours')));
});
