/**
 * The payload codec against a third-party decoder: Eclipse Tahu's `sparkplug-payload` decodes
 * what we encode, and we decode what it encodes.
 */
import test from 'ava';
import { createRequire } from 'node:module';
import { isPrepaidError } from '@prepaid-edge/protocols';
import { DataType, decodePayload, deviceMetric, encodePayload, ExceptionFilter, metricSpec, nextBdSeq, nodeBirthMetrics, SeqCounter, deathMetrics } from '../../src/core/sparkplug/index.js';

const tahu = (createRequire(import.meta.url)('sparkplug-payload') as typeof import('sparkplug-payload')).get('spBv1.0')!;
const num = (v: unknown): number => (typeof v === 'object' && v !== null && 'toNumber' in v ? (v as { toNumber(): number }).toNumber() : Number(v));

test('NBIRTH node metrics decode with Tahu: seq 0, bdSeq, Node Control/Rebirth false', (t) => {
  const bytes = encodePayload({ timestamp: 1_700_000_000_123, seq: 0, metrics: nodeBirthMetrics(7, '0.1.0', 1_700_000_000_123) });
  const p = tahu.decodePayload(bytes);
  t.is(num(p.seq), 0);
  t.is(num(p.timestamp), 1_700_000_000_123);
  const byName = Object.fromEntries((p.metrics ?? []).map((m) => [m.name, m]));
  t.is(byName['bdSeq']!.type, 'Int64');
  t.is(num(byName['bdSeq']!.value), 7);
  t.is(byName['Node Control/Rebirth']!.type, 'Boolean');
  t.is(byName['Node Control/Rebirth']!.value, false);
  t.is(byName['Properties/Software Version']!.value, '0.1.0');
});

test('NDEATH carries bdSeq only and no seq', (t) => {
  const p = tahu.decodePayload(encodePayload({ timestamp: 5, metrics: deathMetrics(3, 5) }));
  t.is(p.seq ?? null, null);
  t.deepEqual((p.metrics ?? []).map((m) => [m.name, m.type, num(m.value)]), [['bdSeq', 'Int64', 3]]);
});

test('device metrics: canonical names, Int64 energy, Double power, engUnit property on birth, historical flag', (t) => {
  const ts = 1_700_000_000_000;
  const metrics = [
    deviceMetric(metricSpec('energyImport'), 123_456_789_012, ts, true),
    deviceMetric(metricSpec('power'), -1234.5, ts, true),
    deviceMetric(metricSpec('voltageL1'), 230.1, ts, false, true),
  ];
  const p = tahu.decodePayload(encodePayload({ timestamp: ts, seq: 1, metrics }));
  const [e, w, v] = p.metrics!;
  t.is(e!.name, 'energyImport');
  t.is(e!.type, 'Int64');
  t.is(num(e!.value), 123_456_789_012);
  t.is(e!.properties!['engUnit']!.value, 'Wh');
  t.is(w!.type, 'Double');
  t.is(w!.value, -1234.5);
  t.is(w!.properties!['engUnit']!.value, 'W');
  t.is(v!.properties, undefined);
  t.true(v!.isHistorical);
});

test('signed integers round-trip in two\'s complement (Int8..Int64)', (t) => {
  const metrics = [
    { name: 'a', datatype: DataType.Int8, value: -5 },
    { name: 'b', datatype: DataType.Int32, value: -70_000 },
    { name: 'c', datatype: DataType.Int64, value: -9_000_000_000 },
    { name: 'd', datatype: DataType.UInt32, value: 4_000_000_000 },
  ] as const;
  const back = decodePayload(encodePayload({ timestamp: 1, seq: 2, metrics: [...metrics] }));
  t.deepEqual(back.metrics.map((m) => m.value), [-5, -70_000, -9_000_000_000, 4_000_000_000]);
  const viaTahu = tahu.decodePayload(encodePayload({ timestamp: 1, seq: 2, metrics: [...metrics] }));
  t.is(viaTahu.metrics![0]!.value, -5);
  t.is(viaTahu.metrics![1]!.value, -70_000);
});

test('decodes what Tahu encodes (an NCMD rebirth request)', (t) => {
  const bytes = tahu.encodePayload({ timestamp: 42, metrics: [{ name: 'Node Control/Rebirth', type: 'Boolean', value: true }] });
  const p = decodePayload(bytes);
  t.is(p.timestamp, 42);
  t.deepEqual(p.metrics, [{ name: 'Node Control/Rebirth', datatype: DataType.Boolean, value: true }]);
});

test('bad input: a value that does not fit its datatype names the metric; garbage bytes are E_SPARKPLUG_PAYLOAD', (t) => {
  const e = t.throws(() => encodePayload({ timestamp: 1, seq: 0, metrics: [{ name: 'x', datatype: DataType.Boolean, value: 3 }] }));
  t.true(isPrepaidError(e));
  t.is((e as { code?: string }).code, 'E_SPARKPLUG_PAYLOAD');
  t.regex(e!.message, /metrics\[0\]/);
  t.is(((e as unknown) as { context: { path?: string } }).context.path, 'metrics[0]');
  t.throws(() => encodePayload({ timestamp: 1, seq: 256, metrics: [] }), { message: /seq/ });
  const g = t.throws(() => decodePayload(Uint8Array.from([0xff, 0xff, 0xff])));
  t.is((g as { code?: string }).code, 'E_SPARKPLUG_PAYLOAD');
});

test('seq wraps 255 -> 0; bdSeq +1 per connection, wrapping', (t) => {
  const s = new SeqCounter();
  t.is(s.reset(), 0);
  let last = 0;
  for (let i = 0; i < 256; i++) last = s.next();
  t.is(last, 0);
  t.is(s.next(), 1);
  t.is(nextBdSeq(undefined), 0);
  t.is(nextBdSeq(4), 5);
  t.is(nextBdSeq(255), 0);
});

test('report by exception: per-metric deadbands, energy on every change, new names flagged', (t) => {
  const f = new ExceptionFilter({ power: 10 });
  f.born('m1', { power: 100, voltageL1: 230, energyImport: 1000 });
  t.deepEqual(f.changed('m1', { power: 105, voltageL1: 230.2, energyImport: 1000 }), []);
  t.deepEqual(f.changed('m1', { power: 111, voltageL1: 230.6, energyImport: 1001 }), ['power', 'voltageL1', 'energyImport']);
  t.deepEqual(f.changed('m1', { power: 115 }), []);
  t.deepEqual(f.unknown('m1', { power: 1, frequency: 50 }), ['frequency']);
});
