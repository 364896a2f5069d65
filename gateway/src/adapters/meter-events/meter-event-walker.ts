/**
 * Uploads each prepaid meter's own event log (power down/up, cover opened, magnetic field, settings
 * changed, clock set, relay and credit events) as `meter-event` events with the meter's seq and
 * timestamp, exactly once across restarts: each event is stored together with its seq as the
 * meter's mark (outbox appendEventMarked), and a walk starts after the stored mark. A walk is
 * started when a reading shows the meter's eventCounter above the mark, at most one per meter at a
 * time; a failed walk is tried again at the next such reading.
 */
import type { Clock } from '@prepaid-edge/protocols';
import { meterEventData } from '../../core/meter-events/index.js';
import type { NewEvent, NewReading } from '../../core/model.js';
import type { SqliteOutbox } from '../store/index.js';
import type { Logger } from '../log.js';
import type { EventLogWalk } from './prepaid-event-log.js';

export interface EventLogPort {
  meter: string;
  bus: string;
  /** Where its mark is kept when a meter has several logs (DL/T 645: one per record kind); default the meter. */
  key?: string;
  walk(lastSeq: number | undefined): Promise<EventLogWalk>;
  /** Whether a reading calls for a walk; default: its eventCounter differs from the mark (prepaid map). */
  due?(r: NewReading, mark: number | undefined): boolean;
}

export interface MeterEventWalkerDeps {
  clock: Clock;
  log: Logger;
  outbox: Pick<SqliteOutbox, 'appendEventMarked' | 'mark'>;
  /** Events that are not log entries (gaps, resets): the gateway's usual event path. */
  event: (e: NewEvent) => void;
  /** Each stored log entry, after it is committed (observers, Sparkplug). */
  stored?: (e: NewEvent) => void;
  /**
   * Each log entry before it is stored with its mark: what the gateway does about it (a ledger
   * record, an emergency request) is committed first, so a crash in between walks the entry again
   * and the action, idempotent by the meter's seq, is not lost. A failure is logged and the entry
   * is stored anyway (the upload must not stop on it).
   */
  act?: (e: NewEvent) => Promise<void>;
  ports: EventLogPort[];
}

const markKey = (key: string): string => `meter-event-log:${key}`;
const keyOf = (p: EventLogPort): string => p.key ?? p.meter;

export class MeterEventWalker {
  private readonly ports = new Map<string, EventLogPort>();
  private readonly marks = new Map<string, number | undefined>();
  private readonly walking = new Map<string, Promise<void>>();
  private stopped = false;

  constructor(private readonly deps: MeterEventWalkerDeps) {
    for (const p of deps.ports) this.ports.set(keyOf(p), p);
  }

  /** Load the stored marks. */
  async start(): Promise<void> {
    for (const key of this.ports.keys()) this.marks.set(key, await this.deps.outbox.mark(markKey(key)));
  }

  /** A stored reading: walk the log if it shows newer events than the mark. */
  onReading(r: NewReading): void {
    if (this.stopped) return;
    for (const [key, port] of this.ports) {
      if (port.meter !== r.meter || this.walking.has(key)) continue;
      const mark = this.marks.get(key);
      if (port.due) {
        if (port.due(r, mark)) void this.walk(key);
        continue;
      }
      const counter = r.values.eventCounter;
      // Above the mark: new events; below it: the meter's log was reset (or it is another meter).
      if (counter === undefined || counter === (mark ?? 0)) continue;
      void this.walk(key);
    }
  }

  /** Walk one meter's log (by its port's key) now (also used by tests); resolves when the new entries are stored. */
  walk(meter: string): Promise<void> {
    const running = this.walking.get(meter);
    if (running) return running;
    const p = this.walkOnce(meter).finally(() => this.walking.delete(meter));
    this.walking.set(meter, p);
    return p;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.walking.values());
  }

  private async walkOnce(meter: string): Promise<void> {
    const { clock, log, outbox } = this.deps;
    const port = this.ports.get(meter)!;
    const key = meter;
    meter = port.meter;
    const last = this.marks.get(key);
    try {
      const w = await port.walk(last);
      if (w.reset) {
        // Stored with the mark it leaves: 0 when entries follow (each moves it on), else the meter's counter.
        const e: NewEvent = { ts: clock.now(), type: 'meter-event-log-reset', meter, data: { bus: port.bus, storedSeq: last ?? null, meterCounter: w.counter } };
        const value = w.entries.length > 0 ? 0 : w.counter;
        await outbox.appendEventMarked(e, { key: markKey(key), value });
        this.marks.set(key, value);
        this.deps.stored?.(e);
      }
      if (w.lost > 0) this.deps.event({ ts: clock.now(), type: 'meter-events-lost', meter, data: { bus: port.bus, ...(port.key ? { log: port.key } : {}), after: w.reset ? 0 : (last ?? 0), count: w.lost } });
      for (const entry of w.entries) {
        const e: NewEvent = { ts: clock.now(), type: 'meter-event', meter, data: { bus: port.bus, ...(entry.data ?? meterEventData(entry)) } };
        await this.deps.act?.(e).catch((err: Error) => log.error({ meter, bus: port.bus, seq: entry.seq, err: err.message }, 'acting on a meter event failed; stored anyway'));
        await outbox.appendEventMarked(e, { key: markKey(key), value: entry.seq });
        this.marks.set(key, entry.seq);
        this.deps.stored?.(e);
      }
    } catch (e) {
      const err = e as Error & { code?: string };
      log.warn({ meter, bus: port.bus, code: err.code, err: err.message }, 'meter event log not read; tried again at the next reading');
    }
  }
}
