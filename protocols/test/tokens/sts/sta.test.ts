import test from 'ava';
import fc from 'fast-check';
import { staDecrypt, staEncrypt } from '../../../src/tokens/sts/sta.js';
import { PrepaidError } from '../../../src/errors.js';

const block64 = fc.bigUintN(64);
const key8 = fc.uint8Array({ minLength: 8, maxLength: 8 });

test('STA: decrypt undoes encrypt for any block and key', (t) => {
  fc.assert(fc.property(block64, key8, (block, key) => staDecrypt(staEncrypt(block, key), key) === block));
  t.pass();
});

test('STA: encrypt undoes decrypt for any block and key', (t) => {
  fc.assert(fc.property(block64, key8, (block, key) => staEncrypt(staDecrypt(block, key), key) === block));
  t.pass();
});

test('STA: output stays within 64 bits and changes with the key', (t) => {
  fc.assert(
    fc.property(block64, key8, fc.integer({ min: 0, max: 63 }), (block, key, bit) => {
      const c = staEncrypt(block, key);
      const other = Uint8Array.from(key);
      other[bit >> 3]! ^= 1 << (bit & 7);
      return c >= 0n && c < 1n << 64n && staDecrypt(c, other) !== block;
    }),
  );
  t.pass();
});

test('STA rejects keys that are not 8 bytes and blocks outside 64 bits', (t) => {
  t.is(t.throws(() => staEncrypt(1n, new Uint8Array(7)), { instanceOf: PrepaidError })?.code, 'E_TOKEN_KEY');
  t.is(t.throws(() => staDecrypt(1n << 64n, new Uint8Array(8)), { instanceOf: PrepaidError })?.code, 'E_VALUE_RANGE');
  t.is(t.throws(() => staEncrypt(-1n, new Uint8Array(8)), { instanceOf: PrepaidError })?.code, 'E_VALUE_RANGE');
});
