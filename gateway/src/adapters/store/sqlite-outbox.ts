/**
 * The durable outbox on SQLite (node-sqlite3, WAL). Writes from concurrent callers are coalesced:
 * every append or delete queued while a transaction runs is committed together in the next one, as
 * one multi-row INSERT per table (rows passed as one JSON array and expanded by json_each).
 * A call resolves only after its transaction has committed.
 */
import { systemClock, type Clock } from '@prepaid-edge/protocols';
import type { StorageConfig } from '../../core/config/gateway-config.js';
import type { NewEvent, NewReading, Outbox, OutboxStats, StoredEvent, StoredReading } from '../../core/model.js';
import { lowWater, overBounds, rowsToDrop, type Level } from './bounds.js';
import { GatewayError, storeError } from './errors.js';
import { Lane } from './lane.js';
import { openSqliteFile, type OpenFileOptions, type SqliteFileKind } from './open-sqlite-file.js';
import { acquireOwner } from './owner-lock.js';
import { APPLICATION_ID, SCHEMA_VERSION, migrate, readSchemaVersion } from './schema.js';
import { openDb, type Db } from './sqlite.js';
import { eventRow, readingRow, type EventRow, type ReadingRow } from './validate.js';

export interface OutboxOptions extends OpenFileOptions {
  /** Wall time for the events the outbox writes itself (default: the system clock). */
  clock?: Clock;
  /** A transaction takes queued calls until it holds at least this many readings (default 50,000). */
  maxReadingsPerTransaction?: number;
  /**
   * Who delivers readings (default: the JSON uplink only). With `sparkplug` the edge node is a
   * second consumer with its own delivered cursor (`meta.spb_delivered`: every reading up to it was
   * delivered in Sparkplug terms); a reading is deleted once every consumer has it. `json: false`
   * (sparkplug.mode instead): the Sparkplug cursor alone deletes.
   */
  consumers?: { json: boolean; sparkplug: boolean };
}

export interface WriteStats {
  /** Transactions committed since open. */
  commits: number;
  /** Readings and events appended since open. */
  readings: number;
  events: number;
}

/** The Outbox contract plus what the uplink, status and tests can use. */
export interface SqliteOutbox extends Outbox {
  readonly path: string;
  /** Highest reading id ever committed (0 if none): readings with id <= it existed at that moment. */
  lastReadingId(): Promise<number>;
  /** Highest event id ever committed (0 if none). */
  lastEventId(): Promise<number>;
  /** Last seq given to each meter. */
  lastSeqs(): Promise<Record<string, number>>;
  /**
   * Called after every commit that added readings or events, with how many; lets the uplink wait
   * for new rows instead of polling for them. Returns a function that removes the listener.
   */
  onCommit(listener: (added: { readings: number; events: number }) => void): () => void;
  /**
   * Append an event and, in the same transaction, remember `mark.value` under `mark.key` (e.g. the
   * meter event log's last uploaded seq): after a crash either both are stored or neither.
   */
  appendEventMarked(e: NewEvent, mark: { key: string; value: number }): Promise<StoredEvent>;
  /** The value last stored under `key` by appendEventMarked, or undefined. */
  mark(key: string): Promise<number | undefined>;
  writeStats(): WriteStats;
  /** Sparkplug consumer: readings up to this id were delivered (0: none yet). */
  sparkplugCursor(): number;
  /** Sparkplug consumer: readings after max(afterId, cursor), oldest first. */
  sparkplugPending(limit: number, afterId?: number): Promise<StoredReading[]>;
  /** Sparkplug consumer: the newest undelivered reading of each meter (what its DBIRTH carries). */
  sparkplugNewest(): Promise<StoredReading[]>;
  /** Sparkplug consumer: everything up to `upToId` is delivered; rows every consumer has are deleted. */
  sparkplugDelivered(upToId: number): Promise<void>;
  /**
   * Store a frozen reading and its outbox event (the uplink forwards it) in one transaction; a
   * second one of the same meter, kind and period stores nothing and resolves to undefined.
   */
  appendFrozen(f: FrozenRow, e: NewEvent): Promise<StoredEvent | undefined>;
  /** Frozen readings of a meter (all kinds unless given), by boundary, oldest first. */
  frozen(meter: string, kind?: string, limit?: number): Promise<FrozenRow[]>;
  /** The last period frozen of each kind, per meter. */
  lastFrozen(): Promise<Map<string, Record<string, string>>>;
}

/** A row of the `frozen` table: `v` is the JSON the adapter gave. */
export interface FrozenRow {
  meter: string;
  kind: string;
  period: string;
  at: number;
  value: Record<string, unknown>;
  /** Delete this meter's rows of this kind with `at` before this, in the same transaction (retention). */
  pruneBefore?: number;
}

type Pending<T> = { resolve: (v: T) => void; reject: (e: unknown) => void };
type WriteOp =
  | ({ kind: 'readings'; rows: ReadingRow[] } & Pending<StoredReading[]>)
  | ({ kind: 'event'; row: EventRow; mark?: { key: string; value: number }; frozen?: FrozenRow } & Pending<StoredEvent>)
  | ({ kind: 'delete-readings' | 'delete-events'; ids: number[] } & Pending<void>)
  | ({ kind: 'spb-cursor'; upTo: number } & Pending<void>);

const SQL = {
  insertReadings: "INSERT INTO readings (meter, seq, ts, v) SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3 FROM json_each(?) ORDER BY key",
  upsertSeqs: "INSERT INTO meter_seq (meter, last_seq) SELECT value ->> 0, value ->> 1 FROM json_each(?) WHERE true ON CONFLICT (meter) DO UPDATE SET last_seq = excluded.last_seq",
  insertEvents: "INSERT INTO events (ts, type, meter, data) SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3 FROM json_each(?) ORDER BY key",
  measureReadings: 'SELECT count(*) AS n, total(octet_length(v)) AS b FROM readings WHERE id IN (SELECT value FROM json_each(?))',
  deleteReadings: 'DELETE FROM readings WHERE id IN (SELECT value FROM json_each(?))',
  deleteEvents: 'DELETE FROM events WHERE id IN (SELECT value FROM json_each(?))',
  measureOldest: 'SELECT count(*) AS n, total(octet_length(v)) AS b, max(id) AS last FROM (SELECT id, v FROM readings ORDER BY id LIMIT ?)',
  deleteUpTo: 'DELETE FROM readings WHERE id <= ?',
  readMark: 'SELECT value FROM meta WHERE key = ?',
  saveMeta: 'INSERT INTO meta (key, value) SELECT value ->> 0, value ->> 1 FROM json_each(?) WHERE true ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  pendingReadings: 'SELECT id, meter, seq, ts, v FROM readings WHERE id > ? ORDER BY id LIMIT ?',
  pendingEvents: 'SELECT id, ts, type, meter, data FROM events WHERE id > ? ORDER BY id LIMIT ?',
  measureUpTo: 'SELECT count(*) AS n, total(octet_length(v)) AS b FROM readings WHERE id <= ?',
  frozenExists: 'SELECT 1 AS x FROM frozen WHERE meter = ? AND kind = ? AND period = ?',
  insertFrozen: 'INSERT INTO frozen (meter, kind, period, at, v) VALUES (?, ?, ?, ?, ?)',
  pruneFrozen: 'DELETE FROM frozen WHERE meter = ? AND kind = ? AND at < ?',
  frozenOf: 'SELECT meter, kind, period, at, v FROM frozen WHERE meter = ?1 AND (?2 IS NULL OR kind = ?2) ORDER BY at, kind LIMIT ?3',
  lastFrozen: 'SELECT meter, kind, max(period) AS period FROM frozen GROUP BY meter, kind',
  newestPerMeter: 'SELECT id, meter, seq, ts, v FROM readings WHERE id IN (SELECT max(id) FROM readings WHERE id > ? GROUP BY meter) ORDER BY id',
} as const;

/** Counters kept in `meta`, written in the same transaction as the rows they count. */
interface Counters {
  dropped: number;
  readingCount: number;
  readingBytes: number;
  eventCount: number;
  lastReadingId: number;
  lastEventId: number;
  /** Sparkplug consumer's delivered cursor (meta.spb_delivered). */
  spbDelivered: number;
}

/**
 * The outbox's side of the shared file. Normal locking: the ledger shares the file on its own
 * connection; single ownership of the outbox (seqs are cached in memory) is the owner lock's job.
 */
function outboxFile(synchronous: StorageConfig['synchronous']): SqliteFileKind<Db> {
  return {
    names: { dir: 'the database', file: 'the database file', db: 'the database', foreign: 'a prepaid-edge outbox', schema: 'schema' },
    connect: openDb,
    adoptable: (tables) => tables.length === 0,
    applicationId: APPLICATION_ID,
    readVersion: readSchemaVersion,
    knownVersion: SCHEMA_VERSION,
    pragmas: `
      PRAGMA synchronous = ${synchronous === 'normal' ? 'NORMAL' : 'FULL'};
      PRAGMA journal_size_limit = 67108864;
      PRAGMA wal_autocheckpoint = 4000;
      PRAGMA cache_size = -2000;
      PRAGMA temp_store = MEMORY;
    `,
    migrate,
    error: (code, message, context, options) => new GatewayError(code, message, context, options),
    wrap: storeError,
    lock: acquireOwner,
  };
}

export async function openOutbox(cfg: StorageConfig, opts: OutboxOptions = {}): Promise<SqliteOutbox> {
  const db = await openSqliteFile(cfg.path, outboxFile(cfg.synchronous), opts);
  try {
    const meta = new Map((await db.all<{ key: string; value: number }>('SELECT key, value FROM meta')).map((r) => [r.key, r.value]));
    const seqs = new Map((await db.all<{ meter: string; last_seq: number }>('SELECT meter, last_seq FROM meter_seq')).map((r) => [r.meter, r.last_seq]));
    const lastIds = new Map((await db.all<{ name: string; seq: number }>('SELECT name, seq FROM sqlite_sequence')).map((r) => [r.name, r.seq]));
    const counters: Counters = {
      dropped: meta.get('dropped') ?? 0,
      readingCount: meta.get('reading_count') ?? 0,
      readingBytes: meta.get('reading_bytes') ?? 0,
      eventCount: meta.get('event_count') ?? 0,
      lastReadingId: lastIds.get('readings') ?? 0,
      lastEventId: lastIds.get('events') ?? 0,
      spbDelivered: meta.get('spb_delivered') ?? 0,
    };
    const outbox = new SqliteOutboxImpl(db, cfg, opts, seqs, counters);
    // A smaller bound in a new config applies at once, not on the next append.
    await outbox.enforceBoundsNow();
    return outbox;
  } catch (e) {
    await db.close().catch(() => undefined);
    throw storeError('E_STORE_OPEN', 'cannot load the outbox state', cfg.path, e);
  }
}

/** Marks live in meta beside the counters, under their own prefix. */
const MARK_PREFIX = 'mark:';

class SqliteOutboxImpl implements SqliteOutbox {
  private readonly lane = new Lane();
  private readonly clock: Clock;
  private readonly maxPerTx: number;
  private queue: WriteOp[] = [];
  private flushQueued = false;
  private windowTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly stats_: WriteStats = { commits: 0, readings: 0, events: 0 };
  private readonly commitListeners = new Set<(added: { readings: number; events: number }) => void>();
  private readonly consumers: { json: boolean; sparkplug: boolean };
  /**
   * With a Sparkplug consumer: readings the JSON uplink has (PUBACK) that the Sparkplug cursor has
   * not passed yet. Kept until it does, then deleted; never read again by the JSON uplink. In memory:
   * after a restart those rows go once more on the JSON topics (at least once, as always).
   */
  private readonly jsonHeld = new Set<number>();

  constructor(
    private readonly db: Db,
    private readonly cfg: StorageConfig,
    opts: OutboxOptions,
    private seqs: Map<string, number>,
    private counters: Counters,
  ) {
    this.clock = opts.clock ?? systemClock;
    this.maxPerTx = Math.max(1, opts.maxReadingsPerTransaction ?? 50_000);
    this.consumers = opts.consumers ?? { json: true, sparkplug: false };
  }

  get path(): string {
    return this.cfg.path;
  }

  appendReadings(batch: readonly NewReading[]): Promise<StoredReading[]> {
    let rows: ReadingRow[];
    try {
      this.assertOpen();
      if (!Array.isArray(batch)) throw new GatewayError('E_STORE_INPUT', 'readings: must be an array', { path: 'readings' });
      rows = batch.map((r, i) => readingRow(r, i));
    } catch (e) {
      return Promise.reject(e);
    }
    if (rows.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => this.enqueue({ kind: 'readings', rows, resolve, reject }));
  }

  appendEvent(e: NewEvent): Promise<StoredEvent> {
    let row: EventRow;
    try {
      this.assertOpen();
      row = eventRow(e);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) => this.enqueue({ kind: 'event', row, resolve, reject }));
  }

  appendEventMarked(e: NewEvent, mark: { key: string; value: number }): Promise<StoredEvent> {
    let row: EventRow;
    try {
      this.assertOpen();
      row = eventRow(e);
      if (typeof mark?.key !== 'string' || mark.key.length === 0 || mark.key.length > 200) throw new GatewayError('E_STORE_INPUT', 'mark.key: must be a non-empty string (at most 200 characters)', { path: 'mark.key' });
      if (!Number.isSafeInteger(mark.value)) throw new GatewayError('E_STORE_INPUT', `mark.value: ${String(mark.value)} is not a whole number`, { path: 'mark.value' });
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) => this.enqueue({ kind: 'event', row, mark: { key: mark.key, value: mark.value }, resolve, reject }));
  }

  appendFrozen(f: FrozenRow, e: NewEvent): Promise<StoredEvent | undefined> {
    let row: EventRow;
    try {
      this.assertOpen();
      row = eventRow(e);
      if (![f?.meter, f?.kind, f?.period].every((x) => typeof x === 'string' && x.length > 0 && x.length <= 200) || !Number.isSafeInteger(f.at)) throw new GatewayError('E_STORE_INPUT', 'frozen: meter, kind, period (strings) and at (integer) are required', { path: 'frozen' });
    } catch (err) {
      return Promise.reject(err);
    }
    // Resolves to undefined when the row was there already (resultsFor).
    return new Promise<StoredEvent | undefined>((resolve, reject) => this.enqueue({ kind: 'event', row, frozen: f, resolve: resolve as (v: StoredEvent) => void, reject }));
  }

  frozen(meter: string, kind?: string, limit = 10_000): Promise<FrozenRow[]> {
    return this.read('cannot read frozen readings', async () => {
      const rows = await this.db.all<{ meter: string; kind: string; period: string; at: number; v: string }>(SQL.frozenOf, [meter, kind ?? null, limit]);
      return rows.map((r) => ({ meter: r.meter, kind: r.kind, period: r.period, at: r.at, value: JSON.parse(r.v) as Record<string, unknown> }));
    }, limit);
  }

  lastFrozen(): Promise<Map<string, Record<string, string>>> {
    return this.read('cannot read frozen readings', async () => this.db.all<{ meter: string; kind: string; period: string }>(SQL.lastFrozen), 1).then((rows) => {
      const out = new Map<string, Record<string, string>>();
      for (const r of rows) out.set(r.meter, { ...out.get(r.meter), [r.kind]: r.period });
      return out;
    });
  }

  mark(key: string): Promise<number | undefined> {
    return this.read('cannot read a mark', async () => (await this.db.all<{ value: number }>(SQL.readMark, [MARK_PREFIX + key])).map((r) => r.value), 1).then((v) => v[0]);
  }

  deleteReadings(ids: readonly number[]): Promise<void> {
    if (!this.consumers.sparkplug || !Array.isArray(ids)) return this.enqueueDelete('delete-readings', ids);
    // The JSON uplink has them; delete now only what the Sparkplug consumer has too.
    const cursor = this.counters.spbDelivered;
    const now: number[] = [];
    for (const id of ids) {
      if (id <= cursor) now.push(id);
      else this.jsonHeld.add(id);
    }
    return this.enqueueDelete('delete-readings', now);
  }

  sparkplugCursor(): number {
    return this.counters.spbDelivered;
  }

  sparkplugPending(limit: number, afterId = 0): Promise<StoredReading[]> {
    return this.readReadings('cannot read pending readings (sparkplug)', limit, Math.max(afterId, this.counters.spbDelivered));
  }

  sparkplugNewest(): Promise<StoredReading[]> {
    return this.read('cannot read the newest readings (sparkplug)', async () => {
      const rows = await this.db.all<{ id: number; meter: string; seq: number; ts: number; v: string }>(SQL.newestPerMeter, [this.counters.spbDelivered]);
      return rows.map((r) => ({ id: r.id, meter: r.meter, seq: r.seq, ts: r.ts, values: JSON.parse(r.v) as Record<string, number> }));
    }, 1);
  }

  sparkplugDelivered(upToId: number): Promise<void> {
    try {
      this.assertOpen();
      if (!this.consumers.sparkplug) throw new GatewayError('E_STORE_INPUT', 'sparkplugDelivered: the outbox was opened without a Sparkplug consumer', { path: 'consumers' });
      if (!Number.isSafeInteger(upToId)) throw new GatewayError('E_STORE_INPUT', 'upToId: must be an integer', { path: 'upToId' });
    } catch (e) {
      return Promise.reject(e);
    }
    if (upToId <= this.counters.spbDelivered) return Promise.resolve();
    // In memory at once (reads and JSON deletes see it); in the file with the next commit.
    this.counters.spbDelivered = upToId;
    return new Promise((resolve, reject) => this.enqueue({ kind: 'spb-cursor', upTo: upToId, resolve, reject }));
  }

  deleteEvents(ids: readonly number[]): Promise<void> {
    return this.enqueueDelete('delete-events', ids);
  }

  pendingReadings(limit: number, afterId = 0): Promise<StoredReading[]> {
    return this.readReadings('cannot read pending readings', limit, afterId, this.jsonHeld);
  }

  /** Readings after afterId, oldest first, skipping `skip` (a consumer's delivered-but-kept rows). */
  private readReadings(what: string, limit: number, afterId: number, skip?: ReadonlySet<number>): Promise<StoredReading[]> {
    return this.read(what, async () => {
      let after = afterId;
      for (;;) {
        const rows = await this.db.all<{ id: number; meter: string; seq: number; ts: number; v: string }>(SQL.pendingReadings, [after, limit]);
        const keep = skip && skip.size > 0 ? rows.filter((r) => !skip.has(r.id)) : rows;
        // A page of skipped rows only: read on, so the caller never sees "nothing pending" too early.
        if (keep.length === 0 && rows.length === limit) {
          after = rows.at(-1)!.id;
          continue;
        }
        return keep.map((r) => ({ id: r.id, meter: r.meter, seq: r.seq, ts: r.ts, values: JSON.parse(r.v) as Record<string, number> }));
      }
    }, limit);
  }

  pendingEvents(limit: number, afterId = 0): Promise<StoredEvent[]> {
    return this.read('cannot read pending events', async () => {
      const rows = await this.db.all<{ id: number; ts: number; type: string; meter: string | null; data: string }>(SQL.pendingEvents, [afterId, limit]);
      return rows.map((r) => ({ id: r.id, ts: r.ts, type: r.type, ...(r.meter === null ? {} : { meter: r.meter }), data: JSON.parse(r.data) as Record<string, unknown> }));
    }, limit);
  }

  stats(): Promise<OutboxStats> {
    const c = this.counters;
    return Promise.resolve({ readings: c.readingCount, readingBytes: c.readingBytes, events: c.eventCount, dropped: c.dropped });
  }

  lastReadingId(): Promise<number> {
    return Promise.resolve(this.counters.lastReadingId);
  }

  lastEventId(): Promise<number> {
    return Promise.resolve(this.counters.lastEventId);
  }

  onCommit(listener: (added: { readings: number; events: number }) => void): () => void {
    this.commitListeners.add(listener);
    return () => this.commitListeners.delete(listener);
  }

  lastSeqs(): Promise<Record<string, number>> {
    return Promise.resolve(Object.fromEntries(this.seqs));
  }

  writeStats(): WriteStats {
    return { ...this.stats_ };
  }

  /** Commits what is queued, then closes the file. Calls made after close() reject with E_STORE_CLOSED. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      // Writes queued before close() are committed (their setImmediate or window may not have fired yet).
      clearTimeout(this.windowTimer);
      this.windowTimer = undefined;
      while (this.queue.length > 0) await this.lane.run(() => this.flush());
      await this.lane.idle();
      try {
        await this.db.close();
      } catch (e) {
        throw storeError('E_STORE_WRITE', 'cannot close the database', this.path, e);
      }
    })();
    return this.closing;
  }

  async enforceBoundsNow(): Promise<void> {
    await this.lane.run(() => this.transaction([]));
  }

  private assertOpen(): void {
    if (this.closed) throw new GatewayError('E_STORE_CLOSED', `${this.path}: the outbox is closed`, { path: this.path });
  }

  private read<T>(what: string, job: () => Promise<T[]>, limit: number): Promise<T[]> {
    try {
      this.assertOpen();
    } catch (e) {
      return Promise.reject(e);
    }
    if (!(limit > 0)) return Promise.resolve([]);
    return this.lane.run(job).catch((e: unknown) => {
      throw storeError('E_STORE_READ', what, this.path, e);
    });
  }

  private enqueueDelete(kind: 'delete-readings' | 'delete-events', ids: readonly number[]): Promise<void> {
    try {
      this.assertOpen();
      if (!Array.isArray(ids) || !ids.every((id) => Number.isSafeInteger(id))) throw new GatewayError('E_STORE_INPUT', 'ids: must be an array of integers', { path: 'ids' });
    } catch (e) {
      return Promise.reject(e);
    }
    if (ids.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => this.enqueue({ kind, ids: [...ids], resolve, reject }));
  }

  private enqueue(op: WriteOp): void {
    this.queue.push(op);
    this.scheduleFlush(op.kind !== 'readings');
  }

  /** `now`: an op that must not wait (event, delete, mark), or a backlog left by the last transaction. */
  private scheduleFlush(now: boolean): void {
    const windowMs = this.cfg.commitWindowMs ?? 0;
    // Only readings wait for company (storage.commitWindowMs): anything else goes at once.
    const wait = windowMs > 0 && !now;
    if (this.flushQueued) {
      if (!wait && this.windowTimer) {
        clearTimeout(this.windowTimer);
        this.windowTimer = undefined;
        setImmediate(() => void this.lane.run(() => this.flush()));
      }
      return;
    }
    this.flushQueued = true;
    // setImmediate, not a microtask: calls made from several callbacks in this turn of the event
    // loop still land in the same transaction. The window is wire-independent wall time, like the
    // setImmediate (a test's manual clock does not decide when SQLite commits).
    if (wait)
      this.windowTimer = setTimeout(() => {
        this.windowTimer = undefined;
        void this.lane.run(() => this.flush());
      }, windowMs);
    else setImmediate(() => void this.lane.run(() => this.flush()));
  }

  private async flush(): Promise<void> {
    if (this.queue.length === 0) return;
    let take = 0;
    let readings = 0;
    while (take < this.queue.length && readings < this.maxPerTx) {
      const op = this.queue[take++]!;
      if (op.kind === 'readings') readings += op.rows.length;
    }
    const ops = this.queue.splice(0, take);
    this.flushQueued = false;
    if (this.queue.length > 0) this.scheduleFlush(true);
    try {
      const results = await this.transaction(ops);
      ops.forEach((op, i) => (op.resolve as (v: unknown) => void)(results[i]));
      const added = { readings: 0, events: 0 };
      for (const op of ops) {
        if (op.kind === 'readings') added.readings += op.rows.length;
        else if (op.kind === 'event') added.events++;
      }
      if (added.readings + added.events > 0) for (const l of this.commitListeners) l(added);
    } catch (e) {
      const err = storeError('E_STORE_WRITE', 'cannot commit to the outbox', this.path, e);
      for (const op of ops) op.reject(err);
    }
  }

  /** One transaction for a list of ops; on any failure nothing is kept, in the file or in memory. */
  private async transaction(ops: readonly WriteOp[]): Promise<unknown[]> {
    const before = { counters: { ...this.counters }, seqs: new Map(this.seqs) };
    await this.db.exec('BEGIN IMMEDIATE');
    try {
      // Deletes first, so the bounds see the room they make.
      await this.deleteRows(ops);
      const delivered = await this.advanceSparkplug(ops);
      const readings = await this.insertReadings(ops);
      // A frozen reading already stored: the op stores nothing (neither row nor event).
      const kept = await this.insertFrozen(ops);
      const eventRows = kept.flatMap((op) => (op.kind === 'event' ? [op.row] : []));
      await this.dropOverflow(eventRows); // may add a readings-dropped event, after the callers' ones
      const eventIds = await this.insertEvents(eventRows);
      await this.saveCounters();
      await this.saveMarks(ops);
      await this.db.exec('COMMIT');
      this.stats_.commits++;
      this.stats_.readings += readings.length;
      this.stats_.events += kept.filter((op) => op.kind === 'event').length;
      for (const id of delivered) this.jsonHeld.delete(id);
      return resultsFor(kept, readings, eventIds, ops);
    } catch (e) {
      this.counters = before.counters;
      this.seqs = before.seqs;
      await this.db.exec('ROLLBACK').catch(() => undefined);
      throw e;
    }
  }

  private async deleteRows(ops: readonly WriteOp[]): Promise<void> {
    const readingIds = ops.flatMap((op) => (op.kind === 'delete-readings' ? op.ids : []));
    const eventIds = ops.flatMap((op) => (op.kind === 'delete-events' ? op.ids : []));
    if (readingIds.length > 0) {
      const ids = JSON.stringify(readingIds);
      const gone = await this.db.get<{ n: number; b: number }>(SQL.measureReadings, [ids]);
      await this.db.run(SQL.deleteReadings, [ids]);
      this.counters.readingCount -= gone?.n ?? 0;
      this.counters.readingBytes -= gone?.b ?? 0;
    }
    if (eventIds.length > 0) {
      const r = await this.db.run(SQL.deleteEvents, [JSON.stringify(eventIds)]);
      this.counters.eventCount -= r.changes;
    }
  }

  /**
   * The Sparkplug cursor moved: save it, and delete the rows it passed that need no other consumer
   * (all of them without the JSON uplink; else those the uplink already has). Returns the held ids deleted.
   */
  private async advanceSparkplug(ops: readonly WriteOp[]): Promise<number[]> {
    if (!ops.some((op) => op.kind === 'spb-cursor')) return [];
    const upTo = this.counters.spbDelivered;
    await this.db.run(SQL.saveMeta, [JSON.stringify([['spb_delivered', upTo]])]);
    if (!this.consumers.json) {
      const gone = await this.db.get<{ n: number; b: number }>(SQL.measureUpTo, [upTo]);
      if (!gone || gone.n === 0) return [];
      await this.db.run(SQL.deleteUpTo, [upTo]);
      this.counters.readingCount -= gone.n;
      this.counters.readingBytes -= gone.b;
      return [];
    }
    const held = [...this.jsonHeld].filter((id) => id <= upTo);
    if (held.length === 0) return [];
    const ids = JSON.stringify(held);
    const gone = await this.db.get<{ n: number; b: number }>(SQL.measureReadings, [ids]);
    await this.db.run(SQL.deleteReadings, [ids]);
    this.counters.readingCount -= gone?.n ?? 0;
    this.counters.readingBytes -= gone?.b ?? 0;
    return held;
  }

  /** Give each reading the next seq of its meter and insert them all with one statement. */
  private async insertReadings(ops: readonly WriteOp[]): Promise<StoredReading[]> {
    const stored: StoredReading[] = [];
    const touched = new Set<string>();
    for (const op of ops) {
      if (op.kind !== 'readings') continue;
      for (const r of op.rows) {
        const seq = (this.seqs.get(r.meter) ?? 0) + 1;
        this.seqs.set(r.meter, seq);
        touched.add(r.meter);
        stored.push({ id: 0, meter: r.meter, seq, ts: r.ts, values: r.values });
        this.counters.readingBytes += r.bytes;
      }
    }
    if (stored.length === 0) return stored;
    const rows = ops.flatMap((op) => (op.kind === 'readings' ? op.rows : []));
    const { lastID } = await this.db.run(SQL.insertReadings, [JSON.stringify(stored.map((r, i) => [r.meter, r.seq, r.ts, rows[i]!.json]))]);
    // One INSERT into an AUTOINCREMENT table on our own connection: its ids are consecutive.
    stored.forEach((r, i) => (r.id = lastID - stored.length + 1 + i));
    await this.db.run(SQL.upsertSeqs, [JSON.stringify([...touched].map((m) => [m, this.seqs.get(m)]))]);
    this.counters.readingCount += stored.length;
    this.counters.lastReadingId = lastID;
    return stored;
  }

  /** Insert the frozen rows of `ops`; returns the ops without those whose row was there already. */
  private async insertFrozen(ops: readonly WriteOp[]): Promise<readonly WriteOp[]> {
    if (!ops.some((op) => op.kind === 'event' && op.frozen)) return ops;
    const kept: WriteOp[] = [];
    for (const op of ops) {
      const f = op.kind === 'event' ? op.frozen : undefined;
      if (f) {
        if (await this.db.get(SQL.frozenExists, [f.meter, f.kind, f.period])) continue;
        await this.db.run(SQL.insertFrozen, [f.meter, f.kind, f.period, f.at, JSON.stringify(f.value)]);
        if (f.pruneBefore !== undefined) await this.db.run(SQL.pruneFrozen, [f.meter, f.kind, f.pruneBefore]);
      }
      kept.push(op);
    }
    return kept;
  }

  private async insertEvents(rows: readonly EventRow[]): Promise<number[]> {
    if (rows.length === 0) return [];
    const { lastID } = await this.db.run(SQL.insertEvents, [JSON.stringify(rows.map((e) => [e.ts, e.type, e.meter, e.json]))]);
    this.counters.eventCount += rows.length;
    this.counters.lastEventId = lastID;
    return rows.map((_, i) => lastID - rows.length + 1 + i);
  }

  /** Marks of appendEventMarked, the last value per key (ops are in call order). */
  private async saveMarks(ops: readonly WriteOp[]): Promise<void> {
    const marks = new Map<string, number>();
    for (const op of ops) if (op.kind === 'event' && op.mark) marks.set(MARK_PREFIX + op.mark.key, op.mark.value);
    if (marks.size > 0) await this.db.run(SQL.saveMeta, [JSON.stringify([...marks])]);
  }

  private async saveCounters(): Promise<void> {
    const c = this.counters;
    await this.db.run(SQL.saveMeta, [JSON.stringify([['dropped', c.dropped], ['reading_count', c.readingCount], ['reading_bytes', c.readingBytes], ['event_count', c.eventCount]])]);
  }

  /**
   * Drop the oldest readings while over the bounds, down to the low-water mark, and queue a
   * `readings-dropped` event into `eventRows` (same transaction). Events are never dropped.
   */
  private async dropOverflow(eventRows: EventRow[]): Promise<void> {
    const bounds = { maxReadings: this.cfg.maxReadings, maxBytes: this.cfg.maxBytes };
    const level = (): Level => ({ count: this.counters.readingCount, bytes: this.counters.readingBytes });
    if (!overBounds(level(), bounds)) return;
    const low = lowWater(bounds);
    let dropped = 0;
    while (this.counters.readingCount > 0 && (this.counters.readingCount > low.count || this.counters.readingBytes > low.bytes)) {
      const k = rowsToDrop(level(), low);
      const m = await this.db.get<{ n: number; b: number; last: number }>(SQL.measureOldest, [k]);
      if (!m || m.n === 0) break;
      await this.db.run(SQL.deleteUpTo, [m.last]);
      this.counters.readingCount -= m.n;
      this.counters.readingBytes -= m.b;
      dropped += m.n;
    }
    if (dropped === 0) return;
    this.counters.dropped += dropped;
    eventRows.push({ ts: this.clock.now(), type: 'readings-dropped', meter: null, json: JSON.stringify({ count: dropped, total: this.counters.dropped }) });
  }
}

/**
 * What each op's promise resolves to, in the order of `all`: its stored readings, its stored event,
 * or nothing (also for an op left out of `ops`, a frozen reading stored before).
 */
function resultsFor(ops: readonly WriteOp[], readings: readonly StoredReading[], eventIds: readonly number[], all: readonly WriteOp[] = ops): unknown[] {
  let r = 0;
  let e = 0;
  const kept = new Set(ops);
  return all.map((op) => {
    if (!kept.has(op)) return undefined;
    if (op.kind === 'readings') return readings.slice(r, (r += op.rows.length));
    if (op.kind !== 'event') return undefined;
    const row = op.row;
    return { id: eventIds[e++]!, ts: row.ts, type: row.type, ...(row.meter === null ? {} : { meter: row.meter }), data: JSON.parse(row.json) as Record<string, unknown> };
  });
}
