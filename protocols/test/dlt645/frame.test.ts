import test from 'ava';
import fc from 'fast-check';
import {
  decodeFrame,
  decodeDlt645Control,
  dlt645Checksum,
  encodeDlt645Control,
  encodeFrame,
} from '../../src/dlt645/frame.js';
import { PrepaidError } from '../../src/errors.js';
import { handFrame, hex, returnsOrPrepaidError, throwsCode } from './helpers.js';

// Read of DI 00010000 (forward active energy) from meter 000000000001, DL/T 645-2007 section 7.1:
// 68 | 01 00 00 00 00 00 | 68 | 11 | 04 | 33 33 34 33 | CS | 16.
// CS by hand: 68+01+68+11+04+33+33+34+33 = 0x1B3 -> B3.
const READ_ENERGY = 'FE FE FE FE 68 01 00 00 00 00 00 68 11 04 33 33 34 33 B3 16';

test('encodes the read of 00010000 byte-exact, checksum B3, default 4-byte FE preamble', (t) => {
  const b = encodeFrame({ address: '000000000001', control: 0x11, data: Buffer.from([0x00, 0x00, 0x01, 0x00]) });
  t.is(hex(b), READ_ENERGY);
  t.is(hex(handFrame('68 01 00 00 00 00 00 68 11 04 33 33 34 33')), READ_ENERGY.slice(12));
});

test('preamble option sets the number of FE bytes (0 allowed)', (t) => {
  const f = { address: '000000000001', control: 0x11, data: Buffer.from([0, 0, 1, 0]) };
  t.is(hex(encodeFrame(f, { preamble: 0 })), READ_ENERGY.slice(12));
  t.is(encodeFrame(f, { preamble: 1 }).length, 17);
});

// The widely published "read address" frame: 68 AA AA AA AA AA AA 68 13 00 DF 16.
test('encodes the read-address frame to the wildcard address byte-exact', (t) => {
  t.is(hex(encodeFrame({ address: 'AAAAAAAAAAAA', control: 0x13 }, { preamble: 0 })), '68 AA AA AA AA AA AA 68 13 00 DF 16');
});

test('decodes a request: skips FE, subtracts 0x33, splits the control byte', (t) => {
  const f = decodeFrame(Buffer.from(READ_ENERGY.replace(/ /g, ''), 'hex'));
  t.is(f.address, '000000000001');
  t.is(f.control, 0x11);
  t.false(f.fromSlave);
  t.false(f.abnormal);
  t.false(f.followUp);
  t.is(f.functionCode, 0x11);
  t.is(hex(f.data), '00 00 01 00');
  t.is(f.dataOffset, 14);
});

test('decodes the control bits of replies: 0x91 normal, 0xB1 follow-up, 0xD1 abnormal', (t) => {
  t.deepEqual(decodeDlt645Control(0x91), { fromSlave: true, abnormal: false, followUp: false, functionCode: 0x11 });
  t.deepEqual(decodeDlt645Control(0xb1), { fromSlave: true, abnormal: false, followUp: true, functionCode: 0x11 });
  t.deepEqual(decodeDlt645Control(0xd1), { fromSlave: true, abnormal: true, followUp: false, functionCode: 0x11 });
  t.is(encodeDlt645Control({ functionCode: 0x1c, fromSlave: true, abnormal: true }), 0xdc);
  for (let c = 0; c < 256; c++) t.is(encodeDlt645Control(decodeDlt645Control(c)), c);
});

test('address bytes go least significant first', (t) => {
  const f = decodeFrame(handFrame('68 12 90 78 56 34 12 68 13 00'));
  t.is(f.address, '123456789012');
  t.is(hex(encodeFrame({ address: '123456789012', control: 0x13 }, { preamble: 0 }).subarray(1, 7)), '12 90 78 56 34 12');
});

test('checksum is the byte sum mod 256', (t) => {
  t.is(dlt645Checksum(Buffer.from([0xff, 0x02, 0x01])), 0x02);
  t.is(dlt645Checksum(Buffer.from([1, 2, 3, 4]), 1, 3), 5);
});

// ---- every error code at its byte offset ----
const good = () => Buffer.from(READ_ENERGY.replace(/ /g, ''), 'hex'); // 4 FE, frame at 4, CS at 18, end at 19

test('E_FRAME_START: first 68 missing (offset after the FE run)', (t) => {
  const b = good();
  b[4] = 0x69;
  throwsCode(t, () => decodeFrame(b), 'E_FRAME_START', 4);
});

test('E_FRAME_START: second 68 missing', (t) => {
  const b = good();
  b[11] = 0x00;
  throwsCode(t, () => decodeFrame(b), 'E_FRAME_START', 11);
});

test('E_FRAME_SHORT: header cut, or fewer DATA bytes than L declares (offset = bytes present)', (t) => {
  throwsCode(t, () => decodeFrame(good().subarray(0, 9)), 'E_FRAME_SHORT', 9);
  throwsCode(t, () => decodeFrame(good().subarray(0, 19)), 'E_FRAME_SHORT', 19);
  throwsCode(t, () => decodeFrame(Buffer.alloc(0)), 'E_FRAME_SHORT', 0);
  throwsCode(t, () => decodeFrame(Buffer.from([0xfe, 0xfe])), 'E_FRAME_SHORT', 2);
});

test('E_FRAME_LENGTH: more bytes than L declares (offset of L)', (t) => {
  throwsCode(t, () => decodeFrame(Buffer.concat([good(), Buffer.of(0x00)])), 'E_FRAME_LENGTH', 13);
});

test('E_FRAME_CHECKSUM at the CS byte', (t) => {
  const b = good();
  b[18] = 0xb4;
  throwsCode(t, () => decodeFrame(b), 'E_FRAME_CHECKSUM', 18);
  const c = good();
  c[15] = c[15]! ^ 0x01; // a DATA byte flipped
  throwsCode(t, () => decodeFrame(c), 'E_FRAME_CHECKSUM', 18);
});

test('E_FRAME_END at the end byte', (t) => {
  const b = good();
  b[19] = 0x17;
  throwsCode(t, () => decodeFrame(b), 'E_FRAME_END', 19);
});

test('E_FRAME_BCD for an address byte that is neither BCD nor AA', (t) => {
  throwsCode(t, () => decodeFrame(handFrame('68 01 00 0B 00 00 00 68 11 00')), 'E_FRAME_BCD', 3);
});

test('encodeFrame refuses bad inputs with E_FRAME_VALUE and a path', (t) => {
  t.is(throwsCode(t, () => encodeFrame({ address: 'ABC', control: 0x11 }), 'E_FRAME_VALUE').context.path, 'address');
  t.is(throwsCode(t, () => encodeFrame({ address: '1234567890123', control: 0x11 }), 'E_FRAME_VALUE').context.path, 'address');
  t.is(throwsCode(t, () => encodeFrame({ address: '000000000001', control: 256 }), 'E_FRAME_VALUE').context.path, 'control');
  t.is(throwsCode(t, () => encodeFrame({ address: '000000000001', control: 0x14, data: Buffer.alloc(256) }), 'E_FRAME_VALUE').context.path, 'data');
  t.is(throwsCode(t, () => encodeFrame({ address: '000000000001', control: 0x11 }, { preamble: -1 }), 'E_FRAME_VALUE').context.path, 'preamble');
});

// ---- properties ----
const addressArb = fc.oneof(
  fc.stringMatching(/^[0-9]{12}$/),
  fc.constant('AAAAAAAAAAAA'),
  fc.constant('999999999999'),
  fc.stringMatching(/^(AA){1,5}[0-9]{2,10}$/).filter((s) => s.length === 12),
);

test('property: encode then decode gives back address, control and data', (t) => {
  fc.assert(
    fc.property(addressArb, fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 255 }), fc.integer({ min: 0, max: 8 }), (address, control, data, n) => {
      const f = decodeFrame(encodeFrame({ address, control, data }, { preamble: n }));
      return f.address === address && f.control === control && Buffer.from(data).equals(f.data) && f.dataOffset === n + 10;
    }),
  );
  t.pass();
});

test('property: every single-byte corruption is detected with a PrepaidError', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (data, pos, xor) => {
      const b = encodeFrame({ address: '000000000001', control: 0x91, data }, { preamble: 0 });
      const i = pos % b.length;
      b[i] = b[i]! ^ xor;
      try {
        decodeFrame(b);
        return false;
      } catch (e) {
        return e instanceof PrepaidError;
      }
    }),
  );
  t.pass();
});

test('property: random bytes never throw anything but a PrepaidError', (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => returnsOrPrepaidError(() => decodeFrame(b))));
  // Random bytes behind a valid-looking header reach the checksum, end and address checks.
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 10, maxLength: 40 }), (b) => {
      b[0] = 0x68;
      b[7] = 0x68;
      b[9] = Math.max(0, b.length - 12);
      return returnsOrPrepaidError(() => decodeFrame(b));
    }),
  );
  t.pass();
});
