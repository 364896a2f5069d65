import test from 'ava';
import fc from 'fast-check';
import { decodeToken } from '../../../src/tokens/sts/decode-token.js';
import { buildDataBlock, encodeToken } from '../../../src/tokens/sts/encode-token.js';
import { formatTokenNumber, parseTokenNumber } from '../../../src/tokens/sts/token-number.js';
import { deriveDecoderKeyDkga02 } from '../../../src/tokens/sts/dkga02.js';
import { encodePowerLimit } from '../../../src/tokens/sts/amount.js';
import { combineKeyChange, splitNewKey } from '../../../src/tokens/sts/key-change.js';
import { MAX_TID } from '../../../src/tokens/sts/tid.js';
import { PrepaidError } from '../../../src/errors.js';

// Decoder key and token from the CTSA01 step 1 vector (shared/vectors/sts).
const KEY = Buffer.from('6ff35b9d1f3453e6', 'hex');
const TOKEN = '23716100501183194197';

function codeOf(t: import('ava').ExecutionContext, fn: () => unknown): string | undefined {
  return t.throws(fn, { instanceOf: PrepaidError })?.code;
}

test('token number: 66-bit transposition round trips and keeps leading zeros', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 3 }), fc.bigUintN(64), (cls, block) => {
      const digits = formatTokenNumber(cls, block);
      const back = parseTokenNumber(digits);
      return digits.length === 20 && back.tokenClass === cls && back.block === block;
    }),
  );
  t.is(formatTokenNumber(0, 0n), '00000000000000000000');
  t.pass();
});

test('token number: receipts may group digits with spaces or hyphens', (t) => {
  t.deepEqual(decodeToken('2371 6100 5011 8319 4197', KEY), decodeToken(TOKEN, KEY));
  t.deepEqual(decodeToken('2371-6100-5011-8319-4197', KEY), decodeToken(TOKEN, KEY));
});

test('decode rejects malformed tokens with E_TOKEN_FORMAT on path "token"', (t) => {
  for (const bad of ['', '1234', '2371610050118319419', '237161005011831941970', '2371610050118319419x', '99999999999999999999']) {
    const err = t.throws(() => decodeToken(bad, KEY), { instanceOf: PrepaidError });
    t.is(err?.code, 'E_TOKEN_FORMAT', bad);
    t.is(err?.context.path, 'token');
  }
  t.is(codeOf(t, () => decodeToken(42 as unknown as string, KEY)), 'E_TOKEN_FORMAT');
  // Largest 66-bit value is accepted by the parser; class 3 is reserved.
  t.is(parseTokenNumber('73786976294838206463').tokenClass, 3);
  t.is(codeOf(t, () => parseTokenNumber('73786976294838206464')), 'E_TOKEN_FORMAT');
  t.is(codeOf(t, () => decodeToken(formatTokenNumber(3, 0n), KEY)), 'E_TOKEN_FORMAT');
});

test('decode: wrong key or mistyped digit gives E_TOKEN_CRC (or E_TOKEN_FORMAT when out of range)', (t) => {
  t.is(codeOf(t, () => decodeToken(TOKEN, 'c293992e262340e9')), 'E_TOKEN_CRC');
  for (let pos = 0; pos < 20; pos++) {
    for (let d = 0; d <= 9; d++) {
      if (String(d) === TOKEN[pos]) continue;
      const typo = TOKEN.slice(0, pos) + d + TOKEN.slice(pos + 1);
      const code = codeOf(t, () => decodeToken(typo, KEY));
      t.true(code === 'E_TOKEN_CRC' || code === 'E_TOKEN_FORMAT', `${typo}: ${code}`);
    }
  }
});

test('decode: classes 0 and 2 need a valid key (E_TOKEN_KEY)', (t) => {
  t.is(codeOf(t, () => decodeToken(TOKEN)), 'E_TOKEN_KEY');
  t.is(codeOf(t, () => decodeToken(TOKEN, 'abc')), 'E_TOKEN_KEY');
  t.is(codeOf(t, () => decodeToken(TOKEN, Buffer.alloc(16))), 'E_TOKEN_KEY');
  t.is(codeOf(t, () => encodeToken({ class: 0, subclass: 0, random: 0, tid: 0, amountTenths: 1 })), 'E_TOKEN_KEY');
});

test('fuzz: random 20-digit strings never throw anything but a PrepaidError', (t) => {
  const digits20 = fc.stringOf(fc.constantFrom(...'0123456789'), { minLength: 20, maxLength: 20 });
  fc.assert(
    fc.property(digits20, fc.uint8Array({ minLength: 8, maxLength: 8 }), (token, key) => {
      try {
        const d = decodeToken(token, key, { baseDate: 2014 });
        return typeof d.kind === 'string';
      } catch (e) {
        return e instanceof PrepaidError && ['E_TOKEN_FORMAT', 'E_TOKEN_CRC'].includes(e.code);
      }
    }),
    { numRuns: 500 },
  );
  t.pass();
});

test('fuzz: arbitrary strings and keys never throw anything but a PrepaidError', (t) => {
  const anyKey = fc.oneof(fc.uint8Array({ maxLength: 12 }), fc.string(), fc.constant(undefined));
  fc.assert(
    fc.property(fc.fullUnicodeString({ maxLength: 40 }), anyKey, (token, key) => {
      try {
        decodeToken(token, key);
        return true;
      } catch (e) {
        return e instanceof PrepaidError;
      }
    }),
    { numRuns: 500 },
  );
  t.pass();
});

test('credit tokens round trip through encode/decode for any fields and key', (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 4 }),
      fc.integer({ min: 0, max: 15 }),
      fc.integer({ min: 0, max: MAX_TID }),
      fc.integer({ min: 0, max: 0xffff }),
      fc.uint8Array({ minLength: 8, maxLength: 8 }),
      (subclass, random, tid, amountRaw, key) => {
        const token = encodeToken({ class: 0, subclass, random, tid, amountRaw }, key);
        const d = decodeToken(token, key);
        return (
          d.kind === 'credit' &&
          d.subclass === subclass &&
          d.random === random &&
          d.tid === tid &&
          d.amountRaw === amountRaw &&
          /^\d{20}$/.test(token)
        );
      },
    ),
    { numRuns: 300 },
  );
  t.pass();
});

test('credit token with base date 2014 (after the 1993 TID overflow)', (t) => {
  const issuedAt = new Date('2025-06-01T08:30:00Z');
  const token = encodeToken({ class: 0, subclass: 4, random: 9, issuedAt, amountTenths: 123457 }, KEY, { baseDate: 2014 });
  const d = decodeToken(token, KEY, { baseDate: 2014 });
  if (d.kind !== 'credit') return t.fail(d.kind);
  t.is(d.service, 'currency');
  t.is(d.issuedAt.toISOString(), issuedAt.toISOString());
  t.is(d.amountTenths, 123464, 'rounded up to the exponent-1 grid (16384 + 10 * m)');
  t.is(d.amount, 12346.4);
  t.is(codeOf(t, () => encodeToken({ class: 0, subclass: 0, random: 0, issuedAt, amountTenths: 1 }, KEY)), 'E_VALUE_RANGE');
});

test('management tokens decode to their kinds and round trip', (t) => {
  const base = { class: 2 as const, random: 3, tid: 0x5ab659 };
  const mpl = decodeToken(encodeToken({ ...base, subclass: 0, value: encodePowerLimit(5000) }, KEY), KEY);
  t.like(mpl, { class: 2, subclass: 0, kind: 'setMaximumPowerLimit', watts: 5000, random: 3, tid: 0x5ab659 });
  const clearAll = decodeToken(encodeToken({ ...base, subclass: 1, value: 0xffff }, KEY), KEY);
  t.like(clearAll, { kind: 'clearCredit', register: 'all', value: 0xffff });
  t.like(decodeToken(encodeToken({ ...base, subclass: 1, value: 1 }, KEY), KEY), { kind: 'clearCredit', register: 'water' });
  t.like(decodeToken(encodeToken({ ...base, subclass: 1, value: 9 }, KEY), KEY), { kind: 'clearCredit', register: 'reserved' });
  t.like(decodeToken(encodeToken({ ...base, subclass: 5, value: 0x1234 }, KEY), KEY), { kind: 'clearTamper', value: 0x1234 });
  t.like(decodeToken(encodeToken({ ...base, subclass: 2, value: 7 }, KEY), KEY), { kind: 'setTariffRate', value: 7 });
  t.like(decodeToken(encodeToken({ ...base, subclass: 6, value: encodePowerLimit(300) }, KEY), KEY), {
    kind: 'setMaximumPhasePowerUnbalanceLimit',
    watts: 300,
  });
  t.like(decodeToken(encodeToken({ ...base, subclass: 7, value: 1000 }, KEY), KEY), { kind: 'setWaterMeterFactor' });
  t.is(
    t.throws(() => encodeToken({ ...base, subclass: 3 as 0, value: 1 }, KEY), { instanceOf: PrepaidError })?.context.path,
    'subclass',
  );
});

test('key change sections carry the new key and re-assemble it', (t) => {
  const newKey = deriveDecoderKeyDkga02({
    vendingKey: 'abababababababab',
    pan: '000001000000000082',
    supplyGroupCode: '123456',
    tariffIndex: '01',
    keyRevision: 1,
    keyType: 2,
  });
  const { newKeyHigh, newKeyLow } = splitNewKey(newKey);
  // 1st section body: KENHO 40-43 | KRN 36-39 | RO 35 | reserved 34 | KT 32-33 | NKHO 0-31.
  const body1 = (0xan << 40n) | (2n << 36n) | (1n << 35n) | (2n << 32n) | BigInt(newKeyHigh);
  // 2nd section body: KENLO 40-43 | TI 32-39 | NKLO 0-31.
  const body2 = (0x7n << 40n) | (1n << 32n) | BigInt(newKeyLow);
  const first = decodeToken(encodeToken({ class: 2, subclass: 3, body: body1 }, KEY), KEY);
  const second = decodeToken(encodeToken({ class: 2, subclass: 4, body: body2 }, KEY), KEY);
  if (first.kind !== 'keyChange1' || second.kind !== 'keyChange2') return t.fail();
  t.like(first, { keyExpiryHigh: 0xa, keyRevision: 2, rollover: true, reservedBit: 0, keyType: 2, newKeyHigh });
  t.like(second, { keyExpiryLow: 7, tariffIndex: 1, newKeyLow });
  t.deepEqual(combineKeyChange(first, second), newKey);
});

test('unmapped subclasses decode with their raw body and re-encode identically', (t) => {
  for (const [cls, subclass] of [[0, 9], [1, 5], [2, 8], [2, 15]] as const) {
    const body = 0x0abc_def0_1234n;
    const token = encodeToken({ class: cls, subclass, body }, KEY);
    const d = decodeToken(token, KEY);
    t.like(d, { class: cls, subclass, kind: 'unmapped', body });
    t.is(encodeToken({ class: d.class, subclass: d.subclass, body: d.body }, KEY), token);
  }
});

test('class 1 test tokens are in clear and ignore the key', (t) => {
  const token = encodeToken({ class: 1, subclass: 0, control: 0b101n, manufacturerCode: 0x42 });
  t.like(decodeToken(token), { class: 1, kind: 'test', subclass: 0, control: 5n, manufacturerCode: 0x42 });
  t.like(decodeToken(token, KEY), { control: 5n });
  t.is(parseTokenNumber(token).block, buildDataBlock({ class: 1, subclass: 0, control: 0b101n, manufacturerCode: 0x42 }));
  t.is(codeOf(t, () => encodeToken({ class: 1, subclass: 0, control: 1n << 36n, manufacturerCode: 0 })), 'E_VALUE_RANGE');
  t.is(codeOf(t, () => encodeToken({ class: 1, subclass: 1, control: 0n, manufacturerCode: 0x10000 })), 'E_VALUE_RANGE');
});

test('encode validates its fields with E_VALUE_RANGE and a path', (t) => {
  const ok = { class: 0 as const, subclass: 0, random: 0, tid: 0, amountTenths: 1 };
  const paths: Array<[object, string]> = [
    [{ ...ok, subclass: 5 }, 'subclass'],
    [{ ...ok, random: 16 }, 'random'],
    [{ ...ok, tid: MAX_TID + 1 }, 'tid'],
    [{ ...ok, tid: undefined }, 'tid'],
    [{ ...ok, amountTenths: undefined }, 'amountTenths'],
    [{ ...ok, amountTenths: undefined, amountRaw: 0x10000 }, 'amountRaw'],
    [{ class: 2, subclass: 3, body: 1n << 44n }, 'body'],
    [{ class: 3, subclass: 0, body: 0n }, 'class'],
  ];
  for (const [input, path] of paths) {
    const err = t.throws(() => encodeToken(input as Parameters<typeof encodeToken>[0], KEY), { instanceOf: PrepaidError });
    t.is(err?.code, 'E_VALUE_RANGE', path);
    t.is(err?.context.path, path);
  }
});
