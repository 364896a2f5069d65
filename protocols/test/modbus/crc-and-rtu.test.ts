import test from 'ava';
import fc from 'fast-check';
import { crc16Modbus } from '../../src/modbus/crc16.js';
import { decodeRtu, encodeRtu, rtuRequestLength, rtuResponseLength, interFrameMs, bitsPerChar } from '../../src/modbus/rtu-frame.js';
import { RtuAccumulator } from '../../src/modbus/rtu-splitter.js';
import { PrepaidError } from '../../src/errors.js';
import { fromHex, toHex } from '../../src/bytes.js';

test('CRC-16/MODBUS check value of "123456789" is 0x4B37 (CRC catalogue)', (t) => {
  t.is(crc16Modbus(Buffer.from('123456789', 'ascii')), 0x4b37);
});

// Frames from the Modbus over Serial Line spec / widely published examples.
const frames: Array<[string, string]> = [
  ['read holding 0..9 of unit 1', '01 03 00 00 00 0a c5 cd'],
  ['read input 0..1 of unit 1', '01 04 00 00 00 02 71 cb'],
  ['write single coil 0xAC on unit 17', '11 05 00 ac ff 00 4e 8b'],
];
for (const [name, hex] of frames) {
  test(`RTU encodes byte-exact: ${name}`, (t) => {
    const bytes = fromHex(hex);
    const { unit, pdu } = decodeRtu(bytes);
    t.is(toHex(encodeRtu(unit, pdu)), toHex(bytes));
  });
}

test('RTU decode names the CRC byte offset on corruption', (t) => {
  const bad = fromHex('01 03 00 00 00 0a c5 ce');
  const err = t.throws(() => decodeRtu(bad), { instanceOf: PrepaidError });
  t.is(err?.code, 'E_FRAME_CRC');
  t.is(err?.offset, 6);
});

test('RTU decode rejects frames shorter than 4 bytes', (t) => {
  const err = t.throws(() => decodeRtu(fromHex('01 03 00')), { instanceOf: PrepaidError });
  t.is(err?.code, 'E_FRAME_SHORT');
});

test('length rules for requests and responses', (t) => {
  t.is(rtuRequestLength(fromHex('01 03')), 8);
  t.is(rtuRequestLength(fromHex('01 10 00 00 00 02')), undefined);
  t.is(rtuRequestLength(fromHex('01 10 00 00 00 02 04')), 13);
  t.is(rtuRequestLength(fromHex('01 2b')), -1);
  t.is(rtuResponseLength(fromHex('01 04 04')), 9);
  t.is(rtuResponseLength(fromHex('01 84')), 5);
});

test('inter-frame silence: 4.01 ms at 9600 8E1, fixed 1.75 ms above 19200', (t) => {
  t.is(Math.round(interFrameMs(9600, bitsPerChar('even')) * 100) / 100, 4.01);
  t.is(interFrameMs(38400, bitsPerChar('none')), 1.75);
});

test('accumulator cuts back-to-back frames arriving in arbitrary chunks', (t) => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 30 }), (cuts) => {
      const stream = Buffer.concat([fromHex('01 03 00 00 00 0a c5 cd'), encodeRtu(7, Buffer.from([0x10, 0, 1, 0, 2, 4, 0, 1, 0, 2])), fromHex('01 04 00 00 00 02 71 cb')]);
      const acc = new RtuAccumulator('request');
      const out: string[] = [];
      let i = 0;
      let k = 0;
      while (i < stream.length) {
        const n = cuts[k++ % cuts.length]!;
        for (const f of acc.push(stream.subarray(i, i + n))) out.push(toHex(f));
        i += n;
      }
      t.deepEqual(out.length, 3);
      t.is(acc.pending, 0);
    }),
  );
});

test('accumulator drops noise at silence and reports it, then recovers', (t) => {
  const acc = new RtuAccumulator('request');
  t.deepEqual(acc.push(fromHex('01 03 00 00 00 0a c5 ce')), []); // bad CRC: wait for silence
  const s = acc.silence();
  t.is(s.frame, undefined);
  t.is(s.error?.code, 'E_FRAME_CRC');
  t.is(acc.push(fromHex('01 03 00 00 00 0a c5 cd')).length, 1);
});

test('accumulator hands unknown-function frames over at silence when the CRC is good', (t) => {
  const acc = new RtuAccumulator('request');
  const f = encodeRtu(1, Buffer.from([0x2b, 0x0e, 0x01, 0x00]));
  t.deepEqual(acc.push(f), []);
  t.is(toHex(acc.silence().frame!), toHex(f));
});

test('property: encodeRtu/decodeRtu round trip', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ minLength: 1, maxLength: 252 }), (unit, pdu) => {
      const d = decodeRtu(encodeRtu(unit, pdu));
      return d.unit === unit && Buffer.compare(d.pdu, Buffer.from(pdu)) === 0;
    }),
  );
  t.pass();
});

test('property: random bytes never throw anything but PrepaidError', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      try {
        decodeRtu(bytes);
      } catch (e) {
        if (!(e instanceof PrepaidError)) throw e;
      }
      const acc = new RtuAccumulator('response');
      acc.push(bytes);
      acc.silence();
    }),
  );
  t.pass();
});
