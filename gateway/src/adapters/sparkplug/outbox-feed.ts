/**
 * The edge node's reading source when the gateway has an outbox: store and forward in Sparkplug
 * terms from the durable SQLite outbox (the Sparkplug consumer's delivered cursor, meta.spb_delivered).
 *
 * Per session (from one NBIRTH on a connection to its end):
 * - beginSession(): the watermark (last committed reading id) and the newest undelivered reading of
 *   each meter (merged into what the DBIRTHs carry);
 * - then, in id order from the cursor: a reading up to the watermark was stored while there was no
 *   session: DDATA with every metric flagged is_historical and its original timestamp, QoS 1
 *   (Sparkplug 3.0 asks QoS 0 for DDATA; store and forward needs the PUBACK, see docs/mqtt.md);
 *   a later reading is live: DDATA by exception, QoS 0 (a meter not born in this session, or with
 *   new metric names, gets its DBIRTH first);
 * - a reading counts as delivered once its DDATA was acknowledged (QoS 1) or written (QoS 0), or
 *   when nothing had to be sent; the cursor moves over the delivered prefix, and is saved in batches;
 * - comm-lost: DDEATH once every reading committed before it was handled; a later reading of the
 *   meter: DBIRTH again. Dead meters get no DBIRTH at a session's start.
 * What was in flight when a connection drops is read again in the next session, as historical.
 */
import type { NewEvent, StoredReading } from '../../core/model.js';
import { deviceMetric, type ExceptionFilter, type Metric, type Payload } from '../../core/sparkplug/index.js';
import type { Logger } from '../log.js';
import { FoldedRun } from '../../core/flow/folded-run.js';

/** What the feed needs of the SQLite outbox (opened with consumers.sparkplug). */
export interface SparkplugOutbox {
  lastReadingId(): Promise<number>;
  sparkplugPending(limit: number, afterId?: number): Promise<StoredReading[]>;
  sparkplugNewest(): Promise<StoredReading[]>;
  sparkplugDelivered(upToId: number): Promise<void>;
  onCommit(listener: () => void): () => void;
}

/** The edge node's side: its tables (shared, not copied) and how it publishes. */
export interface FeedHost {
  log: Logger;
  latest: Map<string, { ts: number; values: Record<string, number> }>;
  filter: ExceptionFilter;
  sessionBorn: Set<string>;
  alias(meter: string, name: string): number;
  deviceBirth(meter: string): void;
  /** Born and connected, not stopping. */
  live(): boolean;
  publish(topic: string, p: Payload, qos: 0 | 1, done: (ok: boolean) => void): void;
  deviceTopic(type: 'DDATA' | 'DDEATH', meter: string): string;
  nextSeq(): number;
  now(): number;
  /** Historical DDATA awaiting PUBACK at most. */
  inflight: number;
  counted(kind: 'historical' | 'live', metrics: number): void;
}

const READ_BATCH = 1000;
/** The delivered cursor is saved when nothing is pending any more, or once it moved this far. */
const SAVE_EVERY = 2000;

export class OutboxFeed {
  private session = 0;
  /** Readings with an id up to this were stored before the session: historical. */
  private mark = 0;
  private cursor = 0;
  /** Every reading committed up to this id was handled in this session (for deaths). */
  private seenUpTo = 0;
  /** Readings handled in this session, in id order, not yet delivered: the head holds the cursor back. */
  private track: Array<{ id: number; done: boolean }> = [];
  private deliveredUpTo = 0;
  private savedUpTo = 0;
  private saving: Promise<void> = Promise.resolve();
  private inflight = 0;
  private windowWaiters: Array<() => void> = [];
  private readonly feedRun = new FoldedRun(() => this.feed(this.session), {
    onError: (e) => this.host.log.error({ err: (e as Error).message, code: (e as { code?: unknown }).code }, 'sparkplug: cannot read the outbox'),
  });
  private unsubscribe: (() => void) | undefined;
  /** Meter -> the last reading id committed when its comm-lost came (Infinity until read). */
  private readonly deadAt = new Map<string, number>();
  private deaths: Array<{ meter: string; afterId: number }> = [];

  constructor(
    private readonly outbox: SparkplugOutbox,
    private readonly host: FeedHost,
  ) {}

  start(): void {
    this.unsubscribe = this.outbox.onCommit(() => this.pump());
  }

  isDead(meter: string): boolean {
    return this.deadAt.has(meter);
  }

  async beginSession(): Promise<void> {
    const [mark, newest] = await Promise.all([this.outbox.lastReadingId(), this.outbox.sparkplugNewest()]);
    this.session++;
    this.mark = mark;
    this.cursor = 0;
    this.seenUpTo = 0;
    this.track = [];
    this.deliveredUpTo = this.savedUpTo = 0;
    this.inflight = 0;
    for (const r of newest) {
      const l = this.host.latest.get(r.meter);
      if (!l || l.ts <= r.ts) this.host.latest.set(r.meter, { ts: r.ts, values: { ...l?.values, ...r.values } });
    }
  }

  endSession(): void {
    this.session++;
    this.releaseWindow();
  }

  event(e: NewEvent): void {
    if (e.type !== 'comm-lost' || !e.meter || this.deadAt.has(e.meter)) return;
    const meter = e.meter;
    this.deadAt.set(meter, Infinity);
    void this.outbox.lastReadingId().then((afterId) => {
      if (this.deadAt.get(meter) !== Infinity) return;
      this.deadAt.set(meter, afterId);
      this.deaths.push({ meter, afterId });
      this.pump();
    });
  }

  /** Stop reading; save how far delivery got (what is still unacknowledged goes again next time). */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.session++;
    this.releaseWindow();
    this.advance(true);
    await this.saving;
  }

  pump(): void {
    if (!this.host.live()) return;
    this.feedRun.trigger();
  }

  private live(session: number): boolean {
    return session === this.session && this.host.live();
  }

  private async feed(session: number): Promise<void> {
    while (this.live(session)) {
      const top = await this.outbox.lastReadingId();
      const rows = await this.outbox.sparkplugPending(READ_BATCH, this.cursor);
      if (!this.live(session)) return;
      if (rows.length === 0) {
        this.seenUpTo = Math.max(this.seenUpTo, top);
        this.announceDeaths(this.seenUpTo);
        return;
      }
      for (const r of rows) {
        this.announceDeaths(r.id - 1);
        this.cursor = r.id;
        await this.deliver(r, session);
        if (!this.live(session)) return;
      }
    }
  }

  /** DDEATH for the meters whose comm-lost came after readings up to `upTo`, once those are handled. */
  private announceDeaths(upTo: number): void {
    if (this.deaths.length === 0) return;
    const due = this.deaths.filter((d) => d.afterId <= upTo);
    if (due.length === 0) return;
    this.deaths = this.deaths.filter((d) => d.afterId > upTo);
    for (const d of due) {
      if (!this.host.sessionBorn.delete(d.meter)) continue;
      this.host.publish(this.host.deviceTopic('DDEATH', d.meter), { timestamp: this.host.now(), seq: this.host.nextSeq(), metrics: [] }, 0, () => undefined);
    }
  }

  private async deliver(r: StoredReading, session: number): Promise<void> {
    const host = this.host;
    const historical = r.id <= this.mark;
    const deadAfter = this.deadAt.get(r.meter);
    if (deadAfter !== undefined && r.id > deadAfter) {
      // It answered again: a new DBIRTH.
      this.deadAt.delete(r.meter);
      host.sessionBorn.delete(r.meter);
    }
    const known = host.latest.get(r.meter);
    if (!historical && (!known || known.ts <= r.ts)) host.latest.set(r.meter, { ts: r.ts, values: { ...known?.values, ...r.values } });
    else if (!known || Object.keys(r.values).some((n) => !(n in known.values))) host.latest.set(r.meter, { ts: known?.ts ?? r.ts, values: { ...r.values, ...known?.values } });
    const entry = { id: r.id, done: false };
    this.track.push(entry);
    const done = (ok: boolean): void => {
      if (!ok) return; // not delivered: its session ends, and the next one reads it again
      entry.done = true;
      this.advance(false);
    };
    if (!host.sessionBorn.has(r.meter) || host.filter.unknown(r.meter, r.values).length > 0) {
      host.deviceBirth(r.meter);
      if (!historical) return done(true); // the DBIRTH carries this reading's values
    }
    if (historical) {
      await this.windowFree(session);
      if (!this.live(session)) return;
      const metrics: Metric[] = Object.entries(r.values).map(([n, v]) => deviceMetric(host.filter.spec(n), v, r.ts, false, true, host.alias(r.meter, n)));
      this.inflight++;
      host.publish(host.deviceTopic('DDATA', r.meter), { timestamp: host.now(), seq: host.nextSeq(), metrics }, 1, (ok) => {
        if (session !== this.session) return;
        this.inflight--;
        this.releaseWindow();
        done(ok);
      });
      host.counted('historical', metrics.length);
      return;
    }
    const names = host.filter.changed(r.meter, r.values);
    if (names.length === 0) return done(true);
    const metrics = names.map((n) => deviceMetric(host.filter.spec(n), r.values[n]!, r.ts, false, false, host.alias(r.meter, n)));
    host.publish(host.deviceTopic('DDATA', r.meter), { timestamp: host.now(), seq: host.nextSeq(), metrics }, 0, (ok) => session === this.session && done(ok));
    host.counted('live', metrics.length);
  }

  private windowFree(session: number): Promise<void> {
    if (this.inflight < this.host.inflight || !this.live(session)) return Promise.resolve();
    return new Promise((resolve) => this.windowWaiters.push(resolve));
  }

  private releaseWindow(): void {
    const w = this.windowWaiters;
    this.windowWaiters = [];
    for (const f of w) f();
  }

  /** Move the delivered cursor over the delivered prefix; save it when idle, every SAVE_EVERY, or now. */
  private advance(now: boolean): void {
    let i = 0;
    while (i < this.track.length && this.track[i]!.done) this.deliveredUpTo = this.track[i++]!.id;
    if (i > 0) this.track.splice(0, i);
    if (this.deliveredUpTo <= this.savedUpTo) return;
    if (!now && this.track.length > 0 && this.deliveredUpTo - this.savedUpTo < SAVE_EVERY) return;
    const upTo = (this.savedUpTo = this.deliveredUpTo);
    this.saving = this.saving.then(() =>
      this.outbox.sparkplugDelivered(upTo).catch((e: Error & { code?: string }) => this.host.log.error({ err: e.message, code: e.code }, 'sparkplug: cannot save the delivered cursor; those readings go again')),
    );
  }
}
