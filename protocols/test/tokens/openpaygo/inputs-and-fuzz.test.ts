import test from 'ava';
import fc from 'fast-check';
import { PrepaidError } from '../../../src/errors.js';
import {
  decodeOpenPaygoToken,
  encodeOpenPaygoToken,
  MAX_ACTIVATION_VALUE,
  startingCodeFromKey,
  type OpenPaygoEncodeInput,
} from '../../../src/tokens/openpaygo/index.js';

const DEVICE = { key: 'dac86b1a29ab82edc5fbbc41ec9530f6', startingCode: 432435255 };

function code(fn: () => unknown): { code: string; context: PrepaidError['context'] } | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof PrepaidError) return { code: e.code, context: e.context };
    throw e;
  }
  return undefined;
}

test('malformed tokens are E_TOKEN_FORMAT on path "token"', (t) => {
  const cases: Array<[unknown, number | undefined]> = [
    ['', undefined],
    ['12345678', undefined], // 8 digits
    ['1234567890', undefined], // 10 digits
    ['12345678x', 8],
    ['123-456-789', 3],
    ['123456789012345678901', 20], // 21 digits
    [123456789, undefined],
  ];
  for (const [token, offset] of cases) {
    const err = code(() => decodeOpenPaygoToken(token as string, { ...DEVICE, lastCount: 0 }));
    t.is(err?.code, 'E_TOKEN_FORMAT', String(token));
    t.is(err?.context.path, 'token');
    t.is(err?.context.offset, offset, String(token));
  }
});

test('restricted tokens may only hold digits 1-4; the offset names the bad character', (t) => {
  const err = code(() => decodeOpenPaygoToken('11111 11511 11111', { ...DEVICE, lastCount: 0 }));
  t.is(err?.code, 'E_TOKEN_FORMAT');
  t.is(err?.context.offset, 8);
});

test('set flags narrow the accepted lengths', (t) => {
  t.is(code(() => decodeOpenPaygoToken('123456789', { ...DEVICE, lastCount: 0, extended: true }))?.code, 'E_TOKEN_FORMAT');
  t.is(code(() => decodeOpenPaygoToken('123456789', { ...DEVICE, lastCount: 0, restrictedDigitSet: true }))?.code, 'E_TOKEN_FORMAT');
  t.deepEqual(code(() => decodeOpenPaygoToken('1', { ...DEVICE, lastCount: 0, restrictedDigitSet: false }))?.context.expected, [9, 12]);
});

test('bad keys are E_TOKEN_KEY; bad numbers are E_VALUE_RANGE naming the field', (t) => {
  const base: OpenPaygoEncodeInput = { ...DEVICE, count: 0, type: 'ADD_TIME', value: 1 };
  t.is(code(() => encodeOpenPaygoToken({ ...base, key: 'abcd' }))?.code, 'E_TOKEN_KEY');
  t.is(code(() => encodeOpenPaygoToken({ ...base, key: new Uint8Array(15) }))?.code, 'E_TOKEN_KEY');
  t.is(code(() => decodeOpenPaygoToken('123456789', { ...DEVICE, key: 'zz'.repeat(16), lastCount: 0 }))?.code, 'E_TOKEN_KEY');
  const range: Array<[Partial<OpenPaygoEncodeInput>, string]> = [
    [{ value: MAX_ACTIVATION_VALUE + 1 }, 'value'],
    [{ value: -1 }, 'value'],
    [{ value: 1.5 }, 'value'],
    [{ value: undefined }, 'value'],
    [{ type: 'DISABLE_PAYG', value: 1 }, 'value'],
    [{ value: 998, extended: true }, 'value'], // reserved: would read as DISABLE_PAYG
    [{ startingCode: 1_000_000_000 }, 'startingCode'],
    [{ count: -1 }, 'count'],
    [{ count: 65_534 }, 'count'], // next count would pass 65 535
    [{ type: 'REFUND' as never }, 'type'],
  ];
  for (const [patch, path] of range) {
    const err = code(() => encodeOpenPaygoToken({ ...base, ...patch }));
    t.is(err?.code, 'E_VALUE_RANGE', JSON.stringify(patch));
    t.is(err?.context.path, path);
  }
  t.is(code(() => decodeOpenPaygoToken('123456789', { ...DEVICE, lastCount: 70_000 }))?.context.path, 'lastCount');
  t.is(code(() => decodeOpenPaygoToken('123456789', { ...DEVICE, lastCount: 0, usedCounts: [1, -2] }))?.context.path, 'usedCounts[1]');
});

test('extended tokens carry values above 995 (but not the reserved 998/999)', (t) => {
  const out = encodeOpenPaygoToken({ ...DEVICE, count: 10, type: 'ADD_TIME', value: 123_456, extended: true });
  t.is(out.token.length, 12);
  const back = decodeOpenPaygoToken(out.token, { ...DEVICE, lastCount: 10 });
  t.deepEqual([back.type, back.value, back.count], ['ADD_TIME', 123_456, out.newCount]);
});

test('startingCodeFromKey is a 9-digit number and depends on the key', (t) => {
  // No published vector exists for this derivation; this only pins its shape.
  const a = startingCodeFromKey(DEVICE.key);
  const b = startingCodeFromKey('bc41ec9530f6dac86b1a29ab82edc5fb');
  t.true(Number.isInteger(a) && a >= 0 && a <= 999_999_999);
  t.not(a, b);
  t.is(startingCodeFromKey(Buffer.from(DEVICE.key, 'hex')), a);
});

test('fuzz: random strings never raise anything but PrepaidError', (t) => {
  const digits = (chars: string, min: number, max: number) =>
    fc.array(fc.constantFrom(...chars.split('')), { minLength: min, maxLength: max }).map((a) => a.join(''));
  const token = fc.oneof(fc.string({ maxLength: 30 }), digits('0123456789 ', 0, 24), digits('1234', 14, 21), digits('0123456789', 9, 12));
  fc.assert(
    fc.property(token, fc.integer({ min: 0, max: 200 }), fc.option(fc.boolean(), { nil: undefined }), (tok, lastCount, restricted) => {
      try {
        decodeOpenPaygoToken(tok, { ...DEVICE, lastCount, restrictedDigitSet: restricted });
      } catch (e) {
        return e instanceof PrepaidError && (e.code === 'E_TOKEN_FORMAT' || e.code === 'E_TOKEN_CRC');
      }
      return true;
    }),
    { numRuns: 400 },
  );
  t.pass();
});

test('fuzz: random options never raise anything but PrepaidError', (t) => {
  fc.assert(
    fc.property(fc.anything(), fc.anything(), fc.anything(), (key, startingCode, lastCount) => {
      try {
        decodeOpenPaygoToken('123456789', { key, startingCode, lastCount } as never);
        encodeOpenPaygoToken({ key, startingCode, count: lastCount, type: 'SET_TIME', value: 1 } as never);
      } catch (e) {
        return e instanceof PrepaidError;
      }
      return true;
    }),
    { numRuns: 300 },
  );
  t.pass();
});

test('round trip: random keys, starting codes, counts, values and both digit sets and sizes', (t) => {
  const kind = fc.oneof(
    fc.record({ type: fc.constant('ADD_TIME' as const), value: fc.integer({ min: 0, max: MAX_ACTIVATION_VALUE }) }),
    fc.record({ type: fc.constant('SET_TIME' as const), value: fc.integer({ min: 0, max: MAX_ACTIVATION_VALUE }) }),
    fc.record({ type: fc.constantFrom('DISABLE_PAYG' as const, 'COUNTER_SYNC' as const) }),
  );
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 16, maxLength: 16 }),
      fc.integer({ min: 0, max: 999_999_999 }),
      fc.integer({ min: 0, max: 300 }),
      kind,
      fc.boolean(),
      fc.boolean(),
      (key, startingCode, count, k, restrictedDigitSet, extended) => {
        const enc = encodeOpenPaygoToken({ key, startingCode, count, ...k, restrictedDigitSet, extended });
        const dec = decodeOpenPaygoToken(enc.token, { key, startingCode, lastCount: count, restrictedDigitSet, extended });
        const value = 'value' in k ? k.value : null;
        return dec.type === k.type && dec.value === value && dec.count === enc.newCount && dec.lastCount === enc.newCount;
      },
    ),
    { numRuns: 150 },
  );
  t.pass();
});
