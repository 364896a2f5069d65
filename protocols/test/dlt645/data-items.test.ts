import test from 'ava';
import fc from 'fast-check';
import {
  DLT645_DATA_ITEMS,
  dlt645DiFromBytes,
  dlt645DiToBytes,
  findDlt645DataItem,
  findDlt645DataItemByKey,
  findDlt645DataItemForMeasurement,
  type Dlt645DataItem,
} from '../../src/dlt645/data-identifiers.js';
import { bcdMax } from '../../src/dlt645/bcd.js';
import { decodeDlt645Value, dlt645RawFromCanonical, encodeDlt645CanonicalValue, encodeDlt645Value } from '../../src/dlt645/data-values.js';
import { decodeFrame } from '../../src/dlt645/frame.js';
import { dlt645ReadingFromReply, parseReadDataReply } from '../../src/dlt645/replies.js';
import { measurementFor } from '../../src/registers/measurements.js';
import { handFrame, hex, returnsOrPrepaidError, throwsCode } from './helpers.js';

function di(d: string): Dlt645DataItem {
  const item = findDlt645DataItem(d);
  if (!item) throw new Error(`no ${d}`);
  return item;
}

test('table: the DIs the gateway reads are present with their formats (DL/T 645-2007 appendix A)', (t) => {
  const expect: Array<[string, string, number, boolean, string | undefined]> = [
    ['00000000', 'XXXXXX.XX', 4, true, 'energyTotal'],
    ['00010000', 'XXXXXX.XX', 4, false, 'energyImport'],
    ['00020000', 'XXXXXX.XX', 4, false, 'energyExport'],
    ['02010100', 'XXX.X', 2, false, 'voltageL1'],
    ['02010200', 'XXX.X', 2, false, 'voltageL2'],
    ['02010300', 'XXX.X', 2, false, 'voltageL3'],
    ['02020100', 'XXX.XXX', 3, true, 'currentL1'],
    ['02020300', 'XXX.XXX', 3, true, 'currentL3'],
    ['02030000', 'XX.XXXX', 3, true, 'power'],
    ['02800002', 'XX.XX', 2, false, 'frequency'],
    ['00900200', 'XXXXXX.XX', 4, false, undefined],
    ['00900201', 'XXXXXX.XX', 4, false, undefined],
  ];
  for (const [d, format, bytes, signed, measurement] of expect) {
    const item = di(d);
    t.is(item.format, format, d);
    t.is(item.bytes, bytes, d);
    t.is(item.signed, signed, d);
    t.is(item.measurement, measurement, d);
  }
});

test('table: DIs and keys are unique, 8 hex digits, and every measurement is a canonical one in its unit', (t) => {
  t.is(new Set(DLT645_DATA_ITEMS.map((d) => d.di)).size, DLT645_DATA_ITEMS.length);
  t.is(new Set(DLT645_DATA_ITEMS.map((d) => d.key)).size, DLT645_DATA_ITEMS.length);
  for (const d of DLT645_DATA_ITEMS) {
    t.regex(d.di, /^[0-9A-F]{8}$/);
    t.is(d.format.replace('.', '').length, d.bytes * 2, d.di);
    t.is(d.format.length - d.format.indexOf('.') - 1, d.decimals, d.di);
    if (d.measurement === undefined) continue;
    const m = measurementFor(d.measurement);
    t.truthy(m, `${d.di} names unknown measurement ${d.measurement}`);
    t.is(m?.unit, d.canonicalUnit, d.di);
    t.is(m?.integer, d.integer, d.di);
  }
  t.is(findDlt645DataItemByKey('remainingBalance')?.di, '00900200');
  t.is(findDlt645DataItemForMeasurement('energyImport')?.di, '00010000');
  t.is(findDlt645DataItem('003d0000')?.measurement, 'energyImportL3');
});

test('DI bytes go DI0 first: 00010000 <-> 00 00 01 00', (t) => {
  t.is(hex(dlt645DiToBytes('00010000')), '00 00 01 00');
  t.is(hex(dlt645DiToBytes('02800002')), '02 00 80 02');
  t.is(dlt645DiFromBytes(Buffer.from([0x02, 0x00, 0x80, 0x02])), '02800002');
  throwsCode(t, () => dlt645DiToBytes('0001000'), 'E_FRAME_VALUE');
});

// Replies built by hand (DATA already +0x33), address 000000000001, control 0x91.
// DI 00010000 -> 33 33 34 33; value 1234.56 kWh = BCD 00 12 34 56 sent 56 34 12 00 -> 89 67 45 33.
const readReplies: Array<[string, string, string, number, string]> = [
  ['forward active energy 1234.56 kWh = 1 234 560 Wh', '33 33 34 33 89 67 45 33', '00010000', 1_234_560, '001234.56'],
  ['combined active energy 0.01 kWh = 10 Wh', '33 33 33 33 34 33 33 33', '00000000', 10, '000000.01'],
  ['phase A voltage 220.1 V', '33 34 34 35 34 55', '02010100', 220.1, '220.1'],
  ['phase A current -1.234 A (sign bit)', '33 34 35 35 67 45 B3', '02020100', -1.234, '-001.234'],
  ['total active power 1.5 kW = 1500 W', '33 33 36 35 33 83 34', '02030000', 1500, '01.5000'],
  ['total active power -0.0001 kW = -0.1 W', '33 33 36 35 34 33 B3', '02030000', -0.1, '-00.0001'],
  ['grid frequency 50.00 Hz', '35 33 B3 35 33 83', '02800002', 50, '50.00'],
  ['remaining balance 123.45 yuan = 12345 minor units', '33 35 C3 33 78 56 34 33', '00900200', 12_345, '000123.45'],
  ['overdraft 0.50 yuan = 50 minor units', '34 35 C3 33 83 33 33 33', '00900201', 50, '000000.50'],
];
for (const [name, data, d, value, text] of readReplies) {
  test(`read reply decodes to the exact value: ${name}`, (t) => {
    const len = (data.replace(/ /g, '').length / 2).toString(16).padStart(2, '0');
    const frame = decodeFrame(handFrame(`68 01 00 00 00 00 00 68 91 ${len} ${data}`));
    const reply = parseReadDataReply(frame, d);
    if (!reply.ok) return t.fail('abnormal');
    const reading = dlt645ReadingFromReply(reply);
    t.is(reading.di, d);
    t.is(reading.value, value);
    t.is(reading.text, text);
    if (di(d).integer) t.true(Number.isInteger(reading.value));
  });
}

test('value length and digits are checked at wire offsets', (t) => {
  // voltage with 3 value bytes instead of 2: E_FRAME_LENGTH at the first value byte (offset 14)
  const long = decodeFrame(handFrame('68 01 00 00 00 00 00 68 91 07 33 34 34 35 34 55 33'));
  const r = parseReadDataReply(long);
  if (!r.ok) return t.fail();
  throwsCode(t, () => dlt645ReadingFromReply(r), 'E_FRAME_LENGTH', 14);
  // 0x3A - 0x33 = 0x07 ok; 0x3F - 0x33 = 0x0C is not BCD, second value byte at offset 15
  const bad = decodeFrame(handFrame('68 01 00 00 00 00 00 68 91 06 33 34 34 35 34 3F'));
  const rb = parseReadDataReply(bad);
  if (!rb.ok) return t.fail();
  throwsCode(t, () => dlt645ReadingFromReply(rb), 'E_FRAME_BCD', 15);
  // unknown DI
  const unknown = decodeFrame(handFrame('68 01 00 00 00 00 00 68 91 05 33 33 33 3C 33'));
  const ru = parseReadDataReply(unknown);
  if (!ru.ok) return t.fail();
  t.is(throwsCode(t, () => dlt645ReadingFromReply(ru), 'E_FRAME_VALUE', 10).context.path, 'di');
});

test('canonical to raw: energy and money truncate (completed units), instantaneous values round', (t) => {
  t.is(dlt645RawFromCanonical(di('00010000'), 1_234_569), 123_456); // 1234.569 kWh shows 1234.56
  t.is(dlt645RawFromCanonical(di('00900200'), 12_345), 12_345);
  t.is(dlt645RawFromCanonical(di('02010100'), 230.06), 2301);
  t.is(dlt645RawFromCanonical(di('02030000'), -1500.04), -15000);
  t.is(hex(encodeDlt645CanonicalValue(di('02020100'), -1.234)), '34 12 80');
  throwsCode(t, () => dlt645RawFromCanonical(di('02010100'), Number.NaN), 'E_VALUE_RANGE');
  throwsCode(t, () => encodeDlt645CanonicalValue(di('02010100'), 1000), 'E_VALUE_RANGE');
  throwsCode(t, () => encodeDlt645CanonicalValue(di('00010000'), -10), 'E_VALUE_RANGE');
});

test('property: every table entry round-trips raw values and canonical values', (t) => {
  for (const item of DLT645_DATA_ITEMS) {
    const max = bcdMax(item.bytes, item.signed);
    fc.assert(
      fc.property(fc.integer({ min: item.signed ? -max : 0, max }), (raw) => {
        const r = decodeDlt645Value(item, encodeDlt645Value(item, raw));
        return r.raw === raw && dlt645RawFromCanonical(item, r.value) === raw;
      }),
      { numRuns: 50 },
    );
  }
  t.pass();
});

test('property: random value bytes never throw a non-PrepaidError', (t) => {
  fc.assert(
    fc.property(fc.constantFrom(...DLT645_DATA_ITEMS), fc.uint8Array({ maxLength: 6 }), (item, b) => returnsOrPrepaidError(() => decodeDlt645Value(item, b))),
  );
  t.pass();
});
