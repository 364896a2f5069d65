import test from 'ava';
import fc from 'fast-check';
import { encodeRequest, parseRequest, parseResponse, ModbusExceptionError, type ModbusRequest } from '../../src/modbus/pdu.js';
import { handleRequest, illegalAddress, type ModbusDataModel } from '../../src/modbus/slave.js';
import { decodeTcp, encodeTcp, readTcpFrame } from '../../src/modbus/tcp-frame.js';
import { PrepaidError } from '../../src/errors.js';
import { fromHex, toHex } from '../../src/bytes.js';

/** A 100-register, 100-coil model for exercising the slave. */
function memoryModel(): ModbusDataModel & { hr: number[]; coils: boolean[] } {
  const hr = Array.from({ length: 100 }, (_, i) => i * 3);
  const coils = Array.from({ length: 100 }, (_, i) => i % 3 === 0);
  const check = (fc: number, a: number, n: number) => {
    if (a + n > 100) throw illegalAddress(fc, a, n);
  };
  return {
    hr,
    coils,
    readCoils: (a, n) => (check(1, a, n), coils.slice(a, a + n)),
    readDiscreteInputs: (a, n) => (check(2, a, n), coils.slice(a, a + n)),
    readHoldingRegisters: (a, n) => (check(3, a, n), hr.slice(a, a + n)),
    readInputRegisters: (a, n) => (check(4, a, n), hr.slice(a, a + n)),
    writeCoils: (a, v) => (check(15, a, v.length), v.forEach((b, i) => (coils[a + i] = b))),
    writeRegisters: (a, v) => (check(16, a, v.length), v.forEach((w, i) => (hr[a + i] = w))),
  };
}

test('slave answers each function code and the master parses it back', (t) => {
  const m = memoryModel();
  const ask = (req: ModbusRequest) => parseResponse(handleRequest(m, encodeRequest(req)), req);
  t.deepEqual(ask({ fc: 0x03, address: 2, count: 3 }), { fc: 0x03, registers: [6, 9, 12] });
  t.deepEqual(ask({ fc: 0x04, address: 0, count: 1 }), { fc: 0x04, registers: [0] });
  t.deepEqual(ask({ fc: 0x01, address: 0, count: 4 }), { fc: 0x01, bits: [true, false, false, true] });
  t.deepEqual(ask({ fc: 0x02, address: 3, count: 1 }), { fc: 0x02, bits: [true] });
  t.deepEqual(ask({ fc: 0x05, address: 1, value: true }), { fc: 0x05, address: 1, value: true });
  t.true(m.coils[1]);
  t.deepEqual(ask({ fc: 0x06, address: 5, value: 0xbeef }), { fc: 0x06, address: 5, value: 0xbeef });
  t.is(m.hr[5], 0xbeef);
  t.deepEqual(ask({ fc: 0x0f, address: 10, values: [true, true, false, true, true, true, true, true, true] }), { fc: 0x0f, address: 10, count: 9 });
  t.deepEqual(m.coils.slice(10, 19), [true, true, false, true, true, true, true, true, true]);
  t.deepEqual(ask({ fc: 0x10, address: 20, values: [1, 2, 65535] }), { fc: 0x10, address: 20, count: 3 });
  t.deepEqual(m.hr.slice(20, 23), [1, 2, 65535]);
});

test('exception replies: 01 illegal function, 02 illegal address, 03 illegal value, 04 device failure', (t) => {
  const m = memoryModel();
  t.is(toHex(handleRequest(m, fromHex('2b 0e 01 00'))), 'ab 01');
  t.is(toHex(handleRequest(m, fromHex('03 00 62 00 05'))), '83 02');
  t.is(toHex(handleRequest(m, fromHex('03 00 00 00 7e'))), '83 03'); // 126 registers > 125
  t.is(toHex(handleRequest(m, fromHex('05 00 00 12 34'))), '85 03'); // coil value not FF00/0000
  t.is(toHex(handleRequest(m, fromHex('10 00 00 00 02 03 00 01 00'))), '90 03'); // byte count mismatch
  const broken: ModbusDataModel = { ...m, readInputRegisters: () => { throw new Error('flash busy'); } };
  t.is(toHex(handleRequest(broken, fromHex('04 00 00 00 01'))), '84 04');
});

test('parseRequest error types: framing errors are PrepaidError, quantity errors are exceptions', (t) => {
  t.is(t.throws(() => parseRequest(fromHex('03 00')))?.constructor, PrepaidError);
  t.true(t.throws(() => parseRequest(fromHex('03 00 00 00 00'))) instanceof ModbusExceptionError);
});

test('MBAP: byte-exact frame and stream reading', (t) => {
  const f = encodeTcp(0x0102, 2, fromHex('04 00 00 00 02'));
  t.is(toHex(f), '01 02 00 00 00 06 02 04 00 00 00 02');
  t.deepEqual(decodeTcp(f), { transactionId: 0x0102, unit: 2, pdu: fromHex('04 00 00 00 02') });
  t.is(readTcpFrame(f.subarray(0, 9)), undefined);
  const two = Buffer.concat([f, encodeTcp(3, 1, fromHex('03 00 00 00 01'))]);
  const first = readTcpFrame(two)!;
  t.is(readTcpFrame(two, first.consumed)!.frame.transactionId, 3);
  const err = t.throws(() => decodeTcp(fromHex('00 01 00 05 00 06 01 04 00 00 00 02')));
  t.is((err as PrepaidError).code, 'E_FRAME_PROTOCOL');
  t.is((err as PrepaidError).offset, 2);
});

test('property: slave never throws and always answers with the same or exception function', (t) => {
  const m = memoryModel();
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 260 }), (pdu) => {
      const r = handleRequest(m, pdu);
      return r.length >= 2 && (r[0]! & 0x7f) === (pdu[0]! & 0x7f);
    }),
  );
  t.pass();
});

test('property: MBAP and response decoders only throw PrepaidError', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      for (const f of [() => decodeTcp(bytes), () => parseResponse(bytes, { fc: 0x04, address: 0, count: 2 })]) {
        try {
          f();
        } catch (e) {
          if (!(e instanceof PrepaidError)) throw e;
        }
      }
    }),
  );
  t.pass();
});
