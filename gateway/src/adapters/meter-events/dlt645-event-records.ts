/**
 * A DL/T 645-2007 meter's event records (protocols/profiles/dlt645/event-records.json: power down,
 * cover opened, clock set, ...) as an event log: per kind the count DI is the newest seq, record
 * NN = 1 the newest, so `eventLogPlan` says which records are new and which the meter no longer
 * holds. Each becomes a `meter-event` with the meter's own time (its local time, at the gateway's
 * zone offset), stored with its seq as the mark of that kind (walker key `<meter>:<kind>`).
 */
import { decodeDlt645EventCount, decodeDlt645EventRecord, dlt645EventRecordDi, dlt645EventRecordKinds, type Clock, type Dlt645EventRecordKind } from '@prepaid-edge/protocols';
import { eventLogPlan, newEvents, type MeterLogEntry } from '../../core/meter-events/index.js';
import type { NewReading } from '../../core/model.js';
import type { Dlt645Master } from '../acquisition/dlt645-master.js';
import type { EventLogPort } from './meter-event-walker.js';
import type { EventLogWalk } from './prepaid-event-log.js';

/** How often a DL/T 645 meter's record counts are read (they are not in its readings). */
export const DLT645_EVENT_RECORDS_EVERY_MS = 15 * 60_000;

export async function walkDlt645EventRecords(
  master: Pick<Dlt645Master, 'readRaw'>,
  address: string,
  kind: Dlt645EventRecordKind,
  lastSeq: number | undefined,
  offsetMinutesAt: (ms: number) => number,
  now: number,
): Promise<EventLogWalk> {
  const counter = decodeDlt645EventCount((await master.readRaw(address, kind.countDi)).payload);
  const plan = eventLogPlan(lastSeq, counter, Math.min(counter, kind.depth));
  const offset = offsetMinutesAt(now);
  const read: Array<MeterLogEntry & { data: Record<string, unknown> }> = [];
  for (const i of plan.indices) {
    const di = dlt645EventRecordDi(kind, i + 1);
    const values = decodeDlt645EventRecord(kind, (await master.readRaw(address, di)).payload, offset);
    const seq = counter - i;
    const at = values[kind.time]!;
    read.push({ seq, type: 0, seconds: Math.floor(at / 1000), value: 0, data: { seq, kind: kind.kind, code: kind.countDi, di, meterTs: at, ...values } });
  }
  return { counter, lost: plan.lost, reset: plan.reset, entries: newEvents(read, lastSeq, plan.reset) };
}

/** One walker port per record kind of a DL/T 645 meter; walked at its first reading, then every `everyMs`. */
export function dlt645EventRecordPorts(
  meter: string,
  bus: string,
  address: string,
  master: Pick<Dlt645Master, 'readRaw'>,
  clock: Clock,
  offsetMinutesAt: (ms: number) => number,
  everyMs = DLT645_EVENT_RECORDS_EVERY_MS,
): EventLogPort[] {
  return dlt645EventRecordKinds().map((kind) => {
    let lastAt: number | undefined;
    return {
      meter,
      bus,
      key: `${meter}:${kind.kind}`,
      walk: (last) => {
        lastAt = clock.monotonic();
        return walkDlt645EventRecords(master, address, kind, last, offsetMinutesAt, clock.now());
      },
      due: (_r: NewReading) => lastAt === undefined || clock.monotonic() - lastAt >= everyMs,
    };
  });
}
