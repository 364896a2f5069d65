/**
 * A DL/T 645-2007 meter: the same physics, answered through data identifiers. Its address is
 * the unit number as 12 BCD digits (unit 7 -> 000000000007). It answers reads of the DIs the
 * protocols table knows, run status word 3 (relay state), the wildcard read-address (0x13), relay
 * control (0x1C) and time sync; unknown DIs get an abnormal reply with "no requested data".
 */
import {
  DLT645_ERROR_BITS,
  DLT645_FUNCTION,
  DLT645_RELAY_COMMAND,
  dlt645AddressMatches,
  dlt645EventRecordDi,
  dlt645EventRecordKinds,
  encodeDlt645EventCount,
  encodeDlt645EventRecord,
  encodeAbnormalReply,
  encodeDlt645CanonicalValue,
  encodeReadAddressReply,
  encodeReadDataReply,
  encodeRelayControlReply,
  findDlt645DataItem,
  isDlt645Broadcast,
  parseDlt645Request,
  toBcdByte,
  type Dlt645EventValues,
  type Dlt645Frame,
} from '@prepaid-edge/protocols';
import type { FaultSpec } from '../faults.js';
import { canonicalValue } from './canonical-values.js';
import { SimMeter, type SimMeterOptions } from './sim-meter.js';

/** Run status word 3 (DL/T 645-2007 A.5, XXXX, sent low byte first): bit 4 relay open, bit 6 last relay command was trip. */
const STATUS_WORD_3_DI = '04000503';
const STATUS3_RELAY_OPEN = 0x0010;
const STATUS3_RELAY_COMMAND_OPEN = 0x0040;
/** Date (YYMMDDWW, sent WW first) and time (hhmmss, sent ss first) by the meter's clock, local time. */
const DATE_DI = '04000101';
const TIME_DI = '04000102';

export class Dlt645SimMeter extends SimMeter {
  readonly protocol = 'dlt645' as const;
  readonly address: string;
  /** The meter's zone: DL/T 645 carries local time. */
  private readonly utcOffsetMin: number;
  /**
   * Event records (protocols/profiles/dlt645/event-records.json) by kind, oldest first; the count is
   * the list's length (records since the simulation started). A power cut or cover opening in the
   * fault list becomes one when its window starts (power: stamped with its start and end), a time
   * sync one per sync (before/after by the meter's clock).
   */
  readonly eventRecords = new Map<string, Dlt645EventValues[]>();
  private readonly recorded = new WeakSet<FaultSpec>();

  /** `dlt645-3p`: a three-phase meter (phases 3), answering the L2/L3 DIs a single-phase one refuses. */
  constructor(
    opts: SimMeterOptions,
    readonly profileId: 'dlt645' | 'dlt645-3p' = 'dlt645',
  ) {
    super(opts);
    this.address = String(opts.unit).padStart(12, '0');
    this.utcOffsetMin = opts.utcOffsetMin ?? 0;
  }

  override sync(now = this.clock.now()): void {
    super.sync(now);
    const since = now - this.simStartMs;
    for (const f of this.faults) {
      if (this.recorded.has(f) || f.from === undefined || f.from > since) continue;
      const kind = f.type === 'powerLoss' ? 'power-down' : f.type === 'coverOpen' ? 'cover-opened' : undefined;
      if (!kind) continue;
      // A power-down record is written at power-up, when its end is known.
      if (kind === 'power-down' && (f.until === undefined || f.until > since)) continue;
      this.recorded.add(f);
      const start = this.meterClock(this.simStartMs + f.from);
      this.record(kind, { start, end: f.until === undefined ? start : this.meterClock(this.simStartMs + f.until) });
    }
  }

  private clockBytes(di: string, now: number): Buffer {
    const d = new Date(this.meterClock(now) + this.utcOffsetMin * 60_000);
    const bcd = (v: number) => toBcdByte(v);
    return di === DATE_DI
      ? Buffer.of(bcd(d.getUTCDay()), bcd(d.getUTCDate()), bcd(d.getUTCMonth() + 1), bcd(d.getUTCFullYear() - 2000))
      : Buffer.of(bcd(d.getUTCSeconds()), bcd(d.getUTCMinutes()), bcd(d.getUTCHours()));
  }

  private record(kind: string, values: Dlt645EventValues): void {
    const list = this.eventRecords.get(kind) ?? [];
    list.push(values);
    this.eventRecords.set(kind, list);
  }

  /** A read of an event record count or record DI, or undefined when `di` is neither. */
  private eventRecordReply(di: string): Buffer | undefined {
    for (const k of dlt645EventRecordKinds()) {
      const list = this.eventRecords.get(k.kind) ?? [];
      if (di === k.countDi) return encodeReadDataReply(this.address, di, encodeDlt645EventCount(list.length));
      for (let n = 1; n <= k.depth; n++) {
        if (di !== dlt645EventRecordDi(k, n)) continue;
        const rec = list[list.length - n];
        if (!rec) return encodeAbnormalReply(this.address, DLT645_FUNCTION.READ_DATA, DLT645_ERROR_BITS.noRequestedData);
        return encodeReadDataReply(this.address, di, encodeDlt645EventRecord(k, rec, this.utcOffsetMin));
      }
    }
    return undefined;
  }

  /** Is this frame for us (own address, wildcard pattern, or broadcast)? */
  addressedBy(frame: Dlt645Frame): boolean {
    return dlt645AddressMatches(frame.address, this.address);
  }

  /** Answer one request frame; undefined = stay silent (broadcasts, replies, unpowered). */
  handleFrame(frame: Dlt645Frame): Buffer | undefined {
    if (frame.fromSlave) return undefined;
    this.requests++;
    const now = this.clock.now();
    this.sync(now);
    let req;
    try {
      req = parseDlt645Request(frame);
    } catch {
      return encodeAbnormalReply(this.address, frame.functionCode, DLT645_ERROR_BITS.other);
    }
    const silent = isDlt645Broadcast(frame.address);
    switch (req.kind) {
      case 'readAddress':
        return encodeReadAddressReply(this.address);
      case 'readData': {
        if (req.di === STATUS_WORD_3_DI) {
          const word = this.physics.relayClosed ? 0 : STATUS3_RELAY_OPEN | STATUS3_RELAY_COMMAND_OPEN;
          return encodeReadDataReply(this.address, req.di, Buffer.of(word & 0xff, word >> 8));
        }
        if (req.di === DATE_DI || req.di === TIME_DI) return encodeReadDataReply(this.address, req.di, this.clockBytes(req.di, now));
        const record = this.eventRecordReply(req.di);
        if (record) return record;
        const item = findDlt645DataItem(req.di);
        const snap = this.physics.snapshot(now);
        const value = item?.measurement ? canonicalValue(snap, item.measurement) : undefined;
        if (!item || value === undefined) return encodeAbnormalReply(this.address, DLT645_FUNCTION.READ_DATA, DLT645_ERROR_BITS.noRequestedData);
        return encodeReadDataReply(this.address, req.di, encodeDlt645CanonicalValue(item, value));
      }
      case 'relayControl':
        if (req.command === DLT645_RELAY_COMMAND.trip) this.physics.relayClosed = false;
        else if (req.command === DLT645_RELAY_COMMAND.closeDirect || req.command === DLT645_RELAY_COMMAND.closeAllowed) this.physics.relayClosed = true;
        return silent ? undefined : encodeRelayControlReply(this.address);
      case 'timeSync': {
        // The frame carries the meter's local time; its clock counts UTC plus its zone's offset.
        const t = req.time;
        const before = this.meterClock(now);
        this.setMeterClock(Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second) - this.utcOffsetMin * 60_000, now);
        this.record('clock-set', { operator: 0, before, after: this.meterClock(now) });
        return undefined; // broadcast: no reply
      }
      default:
        return silent ? undefined : encodeAbnormalReply(this.address, frame.functionCode, DLT645_ERROR_BITS.passwordOrUnauthorized);
    }
  }
}
