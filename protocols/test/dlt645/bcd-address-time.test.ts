import test from 'ava';
import fc from 'fast-check';
import { bcdMax, decodeBcd, encodeBcd, fromBcdByte, toBcdByte } from '../../src/dlt645/bcd.js';
import {
  DLT645_BROADCAST_ADDRESS,
  DLT645_WILDCARD_ADDRESS,
  dlt645AddressFromBytes,
  dlt645AddressMatches,
  dlt645AddressToBytes,
  isDlt645Broadcast,
  isDlt645Wildcard,
  normalizeDlt645Address,
} from '../../src/dlt645/address.js';
import {
  decodeDlt645DateTime,
  dlt645DateTimeFromDate,
  dlt645DateTimeToDate,
  encodeDlt645DateTime,
} from '../../src/dlt645/time.js';
import { hex, returnsOrPrepaidError, throwsCode } from './helpers.js';

test('BCD: bytes least significant first; 12345678 <-> 78 56 34 12', (t) => {
  t.is(hex(encodeBcd(12345678, 4)), '78 56 34 12');
  t.is(decodeBcd(Buffer.from([0x78, 0x56, 0x34, 0x12])), 12345678);
  t.is(fromBcdByte(0x99), 99);
  t.is(toBcdByte(42), 0x42);
});

test('BCD: signed values keep the sign in the top bit of the most significant byte', (t) => {
  t.is(hex(encodeBcd(-1234, 3, { signed: true })), '34 12 80');
  t.is(decodeBcd(Buffer.from([0x34, 0x12, 0x80]), { signed: true }), -1234);
  t.is(decodeBcd(Buffer.from([0x00, 0x00, 0x80]), { signed: true }), 0); // negative zero reads as 0
  t.is(bcdMax(3, true), 799999);
  t.is(bcdMax(3), 999999);
});

test('BCD: a nibble above 9 throws E_FRAME_BCD at that byte, shifted by base', (t) => {
  throwsCode(t, () => decodeBcd(Buffer.from([0x12, 0x3a, 0x00])), 'E_FRAME_BCD', 1);
  throwsCode(t, () => decodeBcd(Buffer.from([0x12, 0x34, 0xa0]), { base: 20 }), 'E_FRAME_BCD', 22);
  throwsCode(t, () => fromBcdByte(0xf0, 7), 'E_FRAME_BCD', 7);
});

test('BCD: values that do not fit throw E_VALUE_RANGE', (t) => {
  throwsCode(t, () => encodeBcd(100, 1), 'E_VALUE_RANGE');
  throwsCode(t, () => encodeBcd(-1, 2), 'E_VALUE_RANGE');
  throwsCode(t, () => encodeBcd(800000, 3, { signed: true }), 'E_VALUE_RANGE');
  throwsCode(t, () => encodeBcd(1.5, 2), 'E_VALUE_RANGE');
  throwsCode(t, () => encodeBcd(1, 8), 'E_VALUE_RANGE');
});

test('property: BCD round trip, signed and unsigned', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 7 }), fc.boolean(), fc.double({ min: -1, max: 1, noNaN: true }), (n, signed, f) => {
      const max = bcdMax(n, signed);
      const v = Math.trunc(signed ? f * max : Math.abs(f) * max);
      return decodeBcd(encodeBcd(v, n, { signed }), { signed }) === (v === 0 ? 0 : v);
    }),
  );
  fc.assert(fc.property(fc.uint8Array({ maxLength: 9 }), fc.boolean(), (b, signed) => returnsOrPrepaidError(() => decodeBcd(b, { signed }))));
  t.pass();
});

test('address: 12 digits <-> 6 bytes least significant first; wildcard and broadcast', (t) => {
  t.is(hex(dlt645AddressToBytes('000000000001')), '01 00 00 00 00 00');
  t.is(hex(dlt645AddressToBytes(DLT645_WILDCARD_ADDRESS)), 'AA AA AA AA AA AA');
  t.is(hex(dlt645AddressToBytes(DLT645_BROADCAST_ADDRESS)), '99 99 99 99 99 99');
  t.is(dlt645AddressFromBytes(Buffer.from([0x12, 0x90, 0x78, 0x56, 0x34, 0x12])), '123456789012');
  t.is(dlt645AddressFromBytes(Buffer.from([0x01, 0x00, 0xaa, 0xaa, 0xaa, 0xaa])), 'AAAAAAAA0001');
  t.true(isDlt645Broadcast('999999999999'));
  t.true(isDlt645Wildcard('AAAAAAAA0001'));
  t.false(isDlt645Wildcard('000000000001'));
});

test('address: short inputs pad with leading zeros; bad ones throw E_FRAME_VALUE (path address)', (t) => {
  t.is(normalizeDlt645Address(1), '000000000001');
  t.is(normalizeDlt645Address('42'), '000000000042');
  t.is(normalizeDlt645Address('aaaaaaaaaaaa'), 'AAAAAAAAAAAA');
  for (const bad of ['', 'A00000000001', '1234567890123', '12345678901x', -1, 1.5]) {
    t.is(throwsCode(t, () => normalizeDlt645Address(bad), 'E_FRAME_VALUE').context.path, 'address');
  }
  throwsCode(t, () => dlt645AddressFromBytes(Buffer.from([1, 2, 3, 4, 5, 0x1a])), 'E_FRAME_BCD', 5);
  throwsCode(t, () => dlt645AddressFromBytes(Buffer.from([1, 2, 3])), 'E_FRAME_SHORT');
});

test('address matching: own, broadcast, full and abbreviated wildcards', (t) => {
  t.true(dlt645AddressMatches('000000000001', '000000000001'));
  t.false(dlt645AddressMatches('000000000002', '000000000001'));
  t.true(dlt645AddressMatches(DLT645_BROADCAST_ADDRESS, '000000000001'));
  t.true(dlt645AddressMatches(DLT645_WILDCARD_ADDRESS, '123456789012'));
  t.true(dlt645AddressMatches('AAAAAAAA9012', '123456789012'));
  t.false(dlt645AddressMatches('AAAAAAAA9013', '123456789012'));
});

test('property: address round trip', (t) => {
  fc.assert(fc.property(fc.stringMatching(/^([0-9]{2}|AA){6}$/), (a) => dlt645AddressFromBytes(dlt645AddressToBytes(a)) === a));
  t.pass();
});

test('date-time: ss mm hh DD MM YY, each BCD', (t) => {
  const time = { year: 2024, month: 12, day: 15, hour: 12, minute: 30, second: 5 };
  t.is(hex(encodeDlt645DateTime(time)), '05 30 12 15 12 24');
  t.deepEqual(decodeDlt645DateTime(Buffer.from([0x05, 0x30, 0x12, 0x15, 0x12, 0x24])), time);
});

test('date-time: bad digits and impossible dates throw at the right byte', (t) => {
  throwsCode(t, () => decodeDlt645DateTime(Buffer.from([0x00, 0x00, 0x0a, 0x01, 0x01, 0x24]), 0, 10), 'E_FRAME_BCD', 12);
  throwsCode(t, () => decodeDlt645DateTime(Buffer.from([0x60, 0x00, 0x00, 0x01, 0x01, 0x24])), 'E_FRAME_VALUE', 0);
  throwsCode(t, () => decodeDlt645DateTime(Buffer.from([0x00, 0x00, 0x00, 0x30, 0x02, 0x24])), 'E_FRAME_VALUE', 3);
  throwsCode(t, () => decodeDlt645DateTime(Buffer.from([0x00, 0x00, 0x00, 0x01, 0x13, 0x24])), 'E_FRAME_VALUE', 4);
  throwsCode(t, () => decodeDlt645DateTime(Buffer.from([0x00, 0x00])), 'E_FRAME_SHORT', 2);
  t.deepEqual(decodeDlt645DateTime(Buffer.from([0, 0, 0, 0x29, 0x02, 0x24])).day, 29); // 2024 is a leap year
  const e = throwsCode(t, () => encodeDlt645DateTime({ year: 2100, month: 1, day: 1, hour: 0, minute: 0, second: 0 }, 'expiry'), 'E_FRAME_VALUE');
  t.is(e.context.path, 'expiry.year');
});

test('date-time: from and to Date with the meter UTC offset', (t) => {
  const d = new Date('2024-06-30T15:59:59Z');
  const local = dlt645DateTimeFromDate(d, 480); // China Standard Time
  t.deepEqual(local, { year: 2024, month: 6, day: 30, hour: 23, minute: 59, second: 59 });
  t.is(dlt645DateTimeToDate(local, 480).toISOString(), d.toISOString());
});

test('property: date-time decoder never throws a non-PrepaidError', (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 8 }), (b) => returnsOrPrepaidError(() => decodeDlt645DateTime(b))));
  fc.assert(
    fc.property(fc.date({ min: new Date('2000-01-02T00:00:00Z'), max: new Date('2099-12-30T00:00:00Z'), noInvalidDate: true }), (d) => {
      const t0 = dlt645DateTimeFromDate(d, 480);
      return dlt645DateTimeToDate(decodeDlt645DateTime(encodeDlt645DateTime(t0)), 480).getTime() === Math.floor(d.getTime() / 1000) * 1000;
    }),
  );
  t.pass();
});
