/** The DL/T 645-2007 event record table (profiles/dlt645/event-records.json) and its codec. */
import test from 'ava';
import {
  decodeDlt645EventCount,
  decodeDlt645EventRecord,
  dlt645EventRecordBytes,
  dlt645EventRecordDi,
  dlt645EventRecordKinds,
  encodeDlt645EventCount,
  encodeDlt645EventRecord,
} from '../../src/dlt645/index.js';

const kind = (k: string) => dlt645EventRecordKinds().find((x) => x.kind === k)!;

test('the table names the standard DIs: power down 0311, cover open 03300D, clock set 033004; record 1 is the newest', (t) => {
  t.deepEqual(dlt645EventRecordKinds().map((k) => [k.kind, k.countDi]), [['power-down', '03110000'], ['cover-opened', '03300D00'], ['clock-set', '03300400']]);
  t.is(dlt645EventRecordDi(kind('power-down'), 1), '03110001');
  t.is(dlt645EventRecordDi(kind('cover-opened'), 10), '03300D0A');
  t.throws(() => dlt645EventRecordDi(kind('power-down'), 11), { message: /1\.\.10/ });
  t.is(dlt645EventRecordBytes(kind('power-down')), 12);
  t.is(dlt645EventRecordBytes(kind('clock-set')), 16);
});

test('records round-trip in the meter local time; the wire holds ss mm hh DD MM YY; counts are 3 BCD bytes', (t) => {
  const start = Date.UTC(2026, 2, 2, 17, 4, 5);
  const end = Date.UTC(2026, 2, 2, 18, 0, 0);
  const bytes = encodeDlt645EventRecord(kind('power-down'), { start, end }, 480);
  // 2026-03-03 01:04:05 in UTC+8, seconds first
  t.deepEqual([...bytes.subarray(0, 6)], [0x05, 0x04, 0x01, 0x03, 0x03, 0x26]);
  t.deepEqual(decodeDlt645EventRecord(kind('power-down'), Buffer.concat([bytes, Buffer.alloc(8)]), 480), { start, end }, 'bytes after the fields are ignored');
  t.throws(() => decodeDlt645EventRecord(kind('power-down'), bytes.subarray(0, 11)), { code: 'E_FRAME_SHORT' } as never);
  const set = encodeDlt645EventRecord(kind('clock-set'), { operator: 12345678, before: start, after: end });
  t.like(decodeDlt645EventRecord(kind('clock-set'), set), { operator: 12345678, before: start, after: end });
  t.deepEqual([...encodeDlt645EventCount(1234)], [0x34, 0x12, 0x00]);
  t.is(decodeDlt645EventCount(encodeDlt645EventCount(987654)), 987654);
});
