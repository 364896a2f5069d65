/** A DL/T 645 line's broadcast time sync (0x08): all its meters at once, none answers, so nothing to read back. */
import type { Dlt645Master } from '../acquisition/dlt645-master.js';
import type { MeterClockPort } from './meter-clock-port.js';

/** `offsetMinutesAt`: the meters' UTC offset at an instant (the gateway's time zone, DST included). */
export function dlt645BroadcastClockPort(bus: string, master: Pick<Dlt645Master, 'broadcastTimeSync'>, offsetMinutesAt: (ms: number) => number): MeterClockPort {
  return { bus, kind: 'dlt645-broadcast', set: () => master.broadcastTimeSync({ offsetMinutesAt }) };
}
