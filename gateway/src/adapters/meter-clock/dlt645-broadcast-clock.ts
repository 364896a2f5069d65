/**
 * A DL/T 645 line's broadcast time sync (0x08): all its meters at once, none answers, so nothing to
 * read back; and each meter's clock read after it (date 04000101 YYMMDDWW, time 04000102 hhmmss, in
 * its local time) so its drift is measured and reported like a prepaid meter's.
 */
import { fromBcdByte, type Clock } from '@prepaid-edge/protocols';
import type { Dlt645Master } from '../acquisition/dlt645-master.js';
import type { MeterClockPort } from './meter-clock-port.js';

export const DLT645_DATE_DI = '04000101';
export const DLT645_TIME_DI = '04000102';

/** `offsetMinutesAt`: the meters' UTC offset at an instant (the gateway's time zone, DST included). */
export function dlt645BroadcastClockPort(bus: string, master: Pick<Dlt645Master, 'broadcastTimeSync'>, offsetMinutesAt: (ms: number) => number): MeterClockPort {
  return { bus, kind: 'dlt645-broadcast', set: () => master.broadcastTimeSync({ offsetMinutesAt }) };
}

/**
 * Measure one DL/T 645 meter's clock (never set: its line's broadcast does that). The date and time
 * are two reads; the time is read second and the whole seconds taken from both (a read pair that
 * straddles midnight is off by a day, seen as a day of drift once).
 */
export function dlt645MeterClockPort(
  meter: string,
  bus: string,
  address: string,
  master: Pick<Dlt645Master, 'readRaw'>,
  clock: Pick<Clock, 'now'>,
  offsetMinutesAt: (ms: number) => number,
): MeterClockPort {
  return {
    meter,
    bus,
    kind: 'dlt645',
    measureOnly: true,
    set: () => Promise.resolve(clock.now()),
    read: async () => {
      const sentAt = clock.now();
      const d = (await master.readRaw(address, DLT645_DATE_DI)).payload; // WW DD MM YY
      const h = (await master.readRaw(address, DLT645_TIME_DI)).payload; // ss mm hh
      const receivedAt = clock.now();
      const b = (x: Buffer, i: number) => fromBcdByte(x[i]!);
      const local = Date.UTC(2000 + b(d, 3), b(d, 2) - 1, b(d, 1), b(h, 2), b(h, 1), b(h, 0));
      return { seconds: Math.floor((local - offsetMinutesAt(sentAt) * 60_000) / 1000), sentAt, receivedAt };
    },
  };
}
