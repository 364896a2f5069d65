import test from 'ava';
import fc from 'fast-check';
import {
  decodeAmount,
  encodeAmount,
  encodeAmountTenths,
  MAX_AMOUNT_TENTHS,
  unitsToTenths,
} from '../../../src/tokens/sts/amount.js';
import { dateFromTid, MAX_TID, tidFromDate } from '../../../src/tokens/sts/tid.js';
import { PrepaidError } from '../../../src/errors.js';

test('amount: every 16-bit raw value decodes and re-encodes to itself (ranges are contiguous)', (t) => {
  let previous = -1;
  for (let raw = 0; raw <= 0xffff; raw++) {
    const { tenths } = decodeAmount(raw);
    if (encodeAmountTenths(tenths) !== raw) return t.fail(`raw 0x${raw.toString(16)}`);
    if (tenths <= previous) return t.fail(`not increasing at 0x${raw.toString(16)}`);
    previous = tenths;
  }
  t.is(previous, MAX_AMOUNT_TENTHS);
});

test('amount: encoding rounds up to the smallest representable amount >= the request', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: MAX_AMOUNT_TENTHS }), (tenths) => {
      const raw = encodeAmountTenths(tenths);
      const got = decodeAmount(raw).tenths;
      return got >= tenths && (raw === 0 || decodeAmount(raw - 1).tenths < tenths);
    }),
  );
  t.pass();
});

test('amount: exponent boundaries (values from the MISTY1 sweep amounts, encoded by formula)', (t) => {
  t.is(encodeAmount(1638.3), 0x3fff);
  t.is(encodeAmount(1638.4), 0x4000);
  t.is(decodeAmount(encodeAmount(2000)).tenths, 20004);
  t.is(encodeAmount(18022.4), 0x8000);
  t.is(encodeAmount(181862.4), 0xc000);
  t.is(encodeAmount(1820162.4), 0xffff);
  // Between the top of exponent 1 and the start of exponent 2: rounds to the start of exponent 2.
  t.is(encodeAmountTenths(180215), 0x8000);
});

test('amount: rejects out-of-range, fractional and non-tenth inputs with E_VALUE_RANGE', (t) => {
  for (const bad of [-1, MAX_AMOUNT_TENTHS + 1, 1.5, NaN, Infinity])
    t.is(t.throws(() => encodeAmountTenths(bad), { instanceOf: PrepaidError })?.code, 'E_VALUE_RANGE');
  t.is(t.throws(() => encodeAmount(0.15), { instanceOf: PrepaidError })?.context.path, 'amount');
  t.is(t.throws(() => decodeAmount(0x10000), { instanceOf: PrepaidError })?.code, 'E_VALUE_RANGE');
  t.is(unitsToTenths(0.3), 3, 'float noise in 0.3 * 10 is tolerated');
});

test('TID: minutes since the base date, seconds dropped', (t) => {
  t.is(tidFromDate(new Date('1993-01-01T00:00:59Z')), 0);
  t.is(tidFromDate(new Date('2004-03-01T13:55:30Z')), 0x599863);
  t.is(dateFromTid(0x599863).toISOString(), '2004-03-01T13:55:00.000Z');
  t.is(tidFromDate(new Date('2014-01-01T00:01:00Z'), 2014), 1);
  t.is(dateFromTid(0, 2035).toISOString(), '2035-01-01T00:00:00.000Z');
});

test('TID: the 1993 base overflows on 2024-11-24; base 2014 carries on', (t) => {
  const last = dateFromTid(MAX_TID, 1993);
  t.is(last.toISOString().slice(0, 10), '2024-11-24');
  const after = new Date(last.getTime() + 60_000);
  t.is(t.throws(() => tidFromDate(after, 1993), { instanceOf: PrepaidError })?.code, 'E_VALUE_RANGE');
  t.is(dateFromTid(tidFromDate(after, 2014), 2014).getTime(), after.getTime());
  t.is(t.throws(() => tidFromDate(new Date('1992-12-31T23:59:00Z')), { instanceOf: PrepaidError })?.code, 'E_VALUE_RANGE');
  t.is(t.throws(() => tidFromDate(new Date('x')), { instanceOf: PrepaidError })?.code, 'E_VALUE_RANGE');
  t.is(t.throws(() => dateFromTid(MAX_TID + 1), { instanceOf: PrepaidError })?.code, 'E_VALUE_RANGE');
  t.is(t.throws(() => tidFromDate(new Date(), 2000 as 1993), { instanceOf: PrepaidError })?.context.path, 'baseDate');
});

test('TID: dateFromTid and tidFromDate are inverse for every base date', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: MAX_TID }), fc.constantFrom(1993 as const, 2014 as const, 2035 as const), (tid, base) =>
      tidFromDate(dateFromTid(tid, base), base) === tid,
    ),
  );
  t.pass();
});
