/**
 * The prepaid ledger on SQLite: one account per meter, an append-only list of entries whose running
 * sum is the balance, an audit log, exactly-once command outcomes and token replay memory. Every
 * public write is one transaction on the ledger's own connection, run one at a time (the lane):
 * a call resolves after its COMMIT, and a call that fails has written nothing.
 */
import { PrepaidError, systemClock, type Clock } from '@prepaid-edge/protocols';
import type { Account, AccountSpec, AccountState, CommandOutcome, StoredEntry } from '../../../core/credit/contracts.js';
import { inTransaction, openConnection, type Connection } from './connection.js';
import { writeBatch } from './batch.js';
import { settle } from '../../../core/ledger/settle.js';
import { closedError, sqliteCode, storeError } from '../../../core/ledger/errors.js';
import { openSqliteFile, type OpenFileOptions, type SqliteFileKind } from '../open-sqlite-file.js';
import { APPLICATION_ID, LEDGER_SCHEMA_VERSION, migrateLedger, readLedgerVersion } from './schema.js';
import { SQL, parseOutcome, toAccount, toAudit, toEntry, type AccountRow, type AuditRow, type EntryRowDb } from './rows.js';
import type { AuditEntry, AuditQuery, Mismatch, NewAuditEntry, Posting, PostManyResult, PostResult, TokenScheme, VerifyReport } from '../../../core/ledger/types.js';
import type { StreamCursor, StreamEntry } from '../../../core/ledger/stream.js';
import { readStreamAfter, readStreamCursor, saveStreamCursor } from './stream.js';
import { bad, checkAudit, checkCommandId, checkCommandType, checkMeter, checkPosting, checkScheme, checkSpec, checkState, isPlainObject, toJson, type ValidPosting } from '../../../core/ledger/validate.js';

export interface LedgerOptions extends OpenFileOptions {
  /** 'full' (default) survives power loss; 'normal' survives a process crash only. */
  synchronous?: 'full' | 'normal';
  /** Wall time for created_at and received_at (default: the system clock). */
  clock?: Pick<Clock, 'now'>;
}

export interface Ledger {
  readonly path: string;
  /** Create the account if missing (balance 0, `initialState`); a new customer or class is an audited update. */
  ensureAccount(spec: AccountSpec, initialState: AccountState): Promise<Account>;
  account(meter: string): Promise<Account | undefined>;
  accounts(): Promise<Account[]>;
  post(p: Posting): Promise<PostResult>;
  /** Many postings in one transaction; each is all-or-nothing on its own (a savepoint each). */
  postMany(posts: readonly Posting[]): Promise<PostManyResult[]>;
  commandOutcome(id: string): Promise<CommandOutcome | undefined>;
  /** Record a rejected command so a replay of its id gets the same answer; returns what is stored (a duplicate if the id was known). */
  recordRejected(id: string, type: string, outcome: CommandOutcome): Promise<CommandOutcome>;
  /** Like recordRejected for a command that was applied without a posting (tariff, policy, override). */
  recordOutcome(id: string, type: string, outcome: CommandOutcome): Promise<CommandOutcome>;
  /** A setting changed by a command (JSON value), with its audit row, in one transaction. */
  saveSetting(key: string, value: unknown, audit: NewAuditEntry): Promise<void>;
  setting(key: string): Promise<unknown | undefined>;
  /** Every setting whose key starts with `prefix`. */
  settings(prefix: string): Promise<Array<{ key: string; value: unknown }>>;
  audit(entry: NewAuditEntry): Promise<AuditEntry>;
  entries(meter: string, opts?: { afterId?: number; limit?: number }): Promise<StoredEntry[]>;
  /** Sum of the amounts of `meter`'s entries with id > afterId, by kind (an account's statement totals). */
  kindTotals(meter: string, afterId?: number): Promise<Record<string, number>>;
  auditLog(opts?: AuditQuery): Promise<AuditEntry[]>;
  tokenMemory(meter: string, scheme: TokenScheme): Promise<unknown | undefined>;
  /** Compare each balance with the sum of its entries and each balance_after with the running sum. */
  verify(meter?: string): Promise<VerifyReport>;
  /** Ledger stream (stream.ts): the delivered cursor, the entries after a cursor with their seqs, and moving the cursor on. */
  streamCursor(): Promise<StreamCursor>;
  streamAfter(cursor: StreamCursor, limit: number): Promise<StreamEntry[]>;
  streamDelivered(cursor: StreamCursor): Promise<void>;
  /** Called after every committed write on this connection (entries may have been added); returns the unsubscribe. */
  onCommit(listener: () => void): () => void;
  close(): Promise<void>;
}

export async function openLedger(path: string, opts: LedgerOptions = {}): Promise<Ledger> {
  const db = await openSqliteFile(path, ledgerFile(opts.synchronous), opts);
  const clock = opts.clock ?? systemClock;
  return new SqliteLedger(db, path, () => clock.now());
}

/** The ledger's side of the shared file: it may find the outbox's tables there, or none yet. */
function ledgerFile(synchronous: LedgerOptions['synchronous']): SqliteFileKind<Connection> {
  return {
    names: { dir: 'the ledger', file: 'the ledger file', db: 'the ledger database', foreign: 'a prepaid-edge file', schema: 'ledger schema' },
    connect: openConnection,
    adoptable: (tables) => tables.every((t) => t.startsWith('ledger_')),
    applicationId: APPLICATION_ID,
    readVersion: readLedgerVersion,
    knownVersion: LEDGER_SCHEMA_VERSION,
    pragmas: `
      PRAGMA synchronous = ${synchronous === 'normal' ? 'NORMAL' : 'FULL'};
      PRAGMA foreign_keys = ON;
      PRAGMA cache_size = -16000;
      PRAGMA temp_store = MEMORY;
    `,
    migrate: migrateLedger,
    error: (code, message, context, options) => new PrepaidError(code, message, context, options),
    wrap: storeError,
  };
}

const DEFAULT_LIMIT = 1000;

class SqliteLedger implements Ledger {
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly commitListeners = new Set<() => void>();

  constructor(
    private readonly db: Connection,
    readonly path: string,
    private readonly now: () => number,
  ) {}

  ensureAccount(spec: AccountSpec, initialState: AccountState): Promise<Account> {
    return this.write('cannot create the account', { meter: spec?.meter }, () => {
      const s = checkSpec(spec);
      const stateJson = checkState(initialState, 'initialState');
      return this.transaction(async () => {
        const row = await this.db.get<AccountRow>(SQL.account, [s.meter]);
        const now = this.now();
        if (!row) {
          await this.db.run(SQL.insertAccount, [s.meter, s.customer, s.customerClass, s.creditUnit, s.currency ?? null, stateJson, now]);
          await this.insertAudit(now, s.meter, 'account-created', 'ensureAccount', { ...s });
          return toAccount((await this.db.get<AccountRow>(SQL.account, [s.meter]))!);
        }
        const had = toAccount(row);
        // The balance is counted in the account's unit: changing it would change what every entry means.
        if (had.creditUnit !== s.creditUnit) throw bad('spec.creditUnit', `account ${s.meter} counts in ${had.creditUnit}; it cannot become ${s.creditUnit}`, { meter: s.meter });
        if ((had.currency ?? null) !== (s.currency ?? null)) throw bad('spec.currency', `account ${s.meter} is in ${had.currency ?? 'no currency'}; it cannot become ${s.currency ?? 'no currency'}`, { meter: s.meter });
        if (had.customer === s.customer && had.customerClass === s.customerClass) return had;
        await this.db.run(SQL.updateHolder, [s.customer, s.customerClass, s.meter]);
        const changed: Record<string, unknown> = {};
        if (had.customer !== s.customer) changed.customer = { from: had.customer, to: s.customer };
        if (had.customerClass !== s.customerClass) changed.customerClass = { from: had.customerClass, to: s.customerClass };
        await this.insertAudit(now, s.meter, 'account-updated', 'ensureAccount', changed);
        return { ...had, customer: s.customer, customerClass: s.customerClass };
      });
    });
  }

  account(meter: string): Promise<Account | undefined> {
    return this.read('cannot read the account', async () => {
      const row = await this.db.get<AccountRow>(SQL.account, [meter]);
      return row && toAccount(row);
    });
  }

  accounts(): Promise<Account[]> {
    return this.read('cannot read the accounts', async () => (await this.db.all<AccountRow>(SQL.accounts)).map(toAccount));
  }

  post(p: Posting): Promise<PostResult> {
    return this.write('cannot post', { meter: p?.meter }, () => {
      const v = checkPosting(p);
      return this.transaction(() => this.apply(v));
    });
  }

  postMany(posts: readonly Posting[]): Promise<PostManyResult[]> {
    return this.write('cannot post', {}, () => {
      if (!Array.isArray(posts)) throw bad('posts', 'must be an array');
      const checked = posts.map((p, i) => {
        try {
          return { ok: true as const, v: checkPosting(p, `posts[${i}].`) };
        } catch (e) {
          return { ok: false as const, error: e as Error };
        }
      });
      return this.transaction(() => writeBatch(this.db, checked, this.now())).catch((e: unknown) => {
        if (sqliteCode(e) === undefined) throw e;
        // SQLite refused the batch (a constraint, a trigger, disk full) and it was rolled back:
        // replay it posting by posting, each under a savepoint, so only the failing postings are refused.
        return this.transaction(() => this.applyEach(checked));
      });
    });
  }

  commandOutcome(id: string): Promise<CommandOutcome | undefined> {
    return this.read('cannot read the command outcome', async () => {
      const row = await this.db.get<{ outcome: string }>(SQL.command, [id]);
      return row && parseOutcome(row.outcome);
    });
  }

  recordRejected(id: string, type: string, outcome: CommandOutcome): Promise<CommandOutcome> {
    return this.recordCommand(id, type, outcome, 'rejected');
  }

  recordOutcome(id: string, type: string, outcome: CommandOutcome): Promise<CommandOutcome> {
    return this.recordCommand(id, type, outcome, 'applied');
  }

  saveSetting(key: string, value: unknown, audit: NewAuditEntry): Promise<void> {
    return this.write('cannot save the setting', { setting: key }, () => {
      if (typeof key !== 'string' || key.length === 0 || key.length > 200) throw bad('key', 'must be a non-empty string of at most 200 characters');
      const json = toJson(value, 'value');
      const a = checkAudit(audit, 'audit');
      return this.transaction(async () => {
        await this.db.run(SQL.saveSetting, [key, json, this.now()]);
        await this.insertAudit(audit.ts, audit.meter ?? null, a.action, a.cause, a.detail);
      });
    });
  }

  setting(key: string): Promise<unknown | undefined> {
    return this.read('cannot read the setting', async () => {
      const row = await this.db.get<{ value: string }>(SQL.setting, [key]);
      return row ? (JSON.parse(row.value) as unknown) : undefined;
    });
  }

  settings(prefix: string): Promise<Array<{ key: string; value: unknown }>> {
    return this.read('cannot read the settings', async () => {
      const like = `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      return (await this.db.all<{ key: string; value: string }>(SQL.settings, [like])).map((r) => ({ key: r.key, value: JSON.parse(r.value) as unknown }));
    });
  }

  private recordCommand(id: string, type: string, outcome: CommandOutcome, status: 'rejected' | 'applied'): Promise<CommandOutcome> {
    return this.write(`cannot record the ${status} command`, { command: id }, () => {
      checkCommandId(id, 'id');
      checkCommandType(type, 'type');
      if (!isPlainObject(outcome) || outcome.status !== status) throw bad('outcome.status', `must be '${status}' (got ${JSON.stringify((outcome as { status?: unknown } | undefined)?.status)})`);
      const json = toJson(outcome, 'outcome');
      return this.transaction(async () => {
        const known = await this.db.get<{ outcome: string }>(SQL.command, [id]);
        if (known) return { status: 'duplicate', id, original: parseOutcome(known.outcome) } as CommandOutcome;
        await this.db.run(SQL.insertCommand, [id, type, this.now(), json]);
        return JSON.parse(json) as CommandOutcome;
      });
    });
  }

  audit(entry: NewAuditEntry): Promise<AuditEntry> {
    return this.write('cannot append to the audit log', { meter: entry?.meter }, () => {
      const a = checkAudit(entry, 'audit');
      const ts = entry.ts;
      if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || ts < 0) throw bad('audit.ts', `must be a non-negative integer (epoch ms), got ${String(ts)}`);
      const meter = entry.meter === undefined ? undefined : checkMeter(entry.meter, 'audit.meter');
      return this.transaction(async () => {
        const id = await this.insertAudit(ts, meter ?? null, a.action, a.cause, a.detail);
        return { id, ts, ...(meter === undefined ? {} : { meter }), action: a.action, cause: a.cause, detail: JSON.parse(a.detailJson) as Record<string, unknown> };
      });
    });
  }

  entries(meter: string, opts: { afterId?: number; limit?: number } = {}): Promise<StoredEntry[]> {
    return this.read('cannot read the entries', async () => {
      const rows = await this.db.all<EntryRowDb>(SQL.entries, [meter, opts.afterId ?? 0, opts.limit ?? DEFAULT_LIMIT]);
      return rows.map(toEntry);
    });
  }

  kindTotals(meter: string, afterId = 0): Promise<Record<string, number>> {
    return this.read('cannot total the entries', async () => {
      const rows = await this.db.all<{ kind: string; total: number }>(SQL.kindTotals, [meter, afterId]);
      return Object.fromEntries(rows.map((r) => [r.kind, r.total]));
    });
  }

  auditLog(opts: AuditQuery = {}): Promise<AuditEntry[]> {
    return this.read('cannot read the audit log', async () => {
      const rows = await this.db.all<AuditRow>(SQL.auditLog, [opts.afterId ?? 0, opts.meter ?? null, opts.action ?? null, opts.limit ?? DEFAULT_LIMIT]);
      return rows.map(toAudit);
    });
  }

  tokenMemory(meter: string, scheme: TokenScheme): Promise<unknown | undefined> {
    return this.read('cannot read the token memory', async () => {
      checkScheme(scheme, 'scheme');
      const row = await this.db.get<{ memory: string }>(SQL.tokenMemory, [meter, scheme]);
      return row && (JSON.parse(row.memory) as unknown);
    });
  }

  verify(meter?: string): Promise<VerifyReport> {
    return this.read('cannot verify the ledger', async () => {
      const m = meter ?? null;
      const balances = await this.db.all<Mismatch>(SQL.verifyBalances, [m]);
      const running = await this.db.all<{ meter: string; id: number; stored: number; replay: number }>(SQL.verifyRunning, [m]);
      const mismatches: Mismatch[] = [
        ...balances.filter((b) => b.stored !== b.replay).map((b) => ({ meter: b.meter, stored: b.stored, replay: b.replay })),
        ...running.map((r) => ({ meter: r.meter, stored: r.stored, replay: r.replay, entryId: r.id })),
      ];
      return { ok: mismatches.length === 0, mismatches };
    });
  }

  streamCursor(): Promise<StreamCursor> {
    return this.read('cannot read the ledger stream cursor', () => readStreamCursor(this.db));
  }

  streamAfter(cursor: StreamCursor, limit: number): Promise<StreamEntry[]> {
    return this.read('cannot read the ledger stream', () => readStreamAfter(this.db, cursor, limit));
  }

  streamDelivered(cursor: StreamCursor): Promise<void> {
    return this.write('cannot save the ledger stream cursor', {}, () => {
      if (!Number.isSafeInteger(cursor?.entry) || !Number.isSafeInteger(cursor?.seq) || cursor.seq < 0 || cursor.entry < cursor.seq) throw bad('cursor', `must be { entry, seq } with entry >= seq >= 0, got ${JSON.stringify(cursor)}`);
      return this.transaction(async () => {
        // Never backwards: a late save of an older cursor is ignored.
        if ((await readStreamCursor(this.db)).seq < cursor.seq) await saveStreamCursor(this.db, cursor);
      }, false);
    });
  }

  onCommit(listener: () => void): () => void {
    this.commitListeners.add(listener);
    return () => this.commitListeners.delete(listener);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      await this.tail.catch(() => undefined);
      try {
        await this.db.close();
      } catch (e) {
        throw storeError('E_STORE_WRITE', 'cannot close the ledger', this.path, e);
      }
    })();
    return this.closing;
  }

  // ───────────────────────────── internals ─────────────────────────────

  /** One posting inside an open transaction (or savepoint). Reads everything it needs before writing. */
  private async apply(v: ValidPosting): Promise<PostResult> {
    const balanceRow = await this.db.get<{ balance: number }>(SQL.balance, [v.meter]);
    if (v.command) {
      const known = await this.db.get<{ outcome: string }>(SQL.command, [v.command.id]);
      if (known) return { entries: [], balance: balanceRow?.balance ?? 0, outcome: { status: 'duplicate', id: v.command.id, original: parseOutcome(known.outcome) } };
    }
    if (!balanceRow) throw new PrepaidError('E_LEDGER_UNKNOWN_ACCOUNT', `${v.prefix}meter: no ledger account for meter ${JSON.stringify(v.meter)}`, { path: `${v.prefix}meter`, meter: v.meter });
    const before = balanceRow.balance;
    const { after, balance, outcomeJson } = settle(v, before);

    const stored: StoredEntry[] = [];
    for (const [i, e] of v.entries.entries()) {
      const { lastID } = await this.db.run(SQL.insertEntry, [v.meter, e.kind, e.amount, e.ts, e.causeJson, after[i]]);
      stored.push({ id: lastID, meter: v.meter, kind: e.kind, amount: e.amount, ts: e.ts, cause: JSON.parse(e.causeJson) as Record<string, unknown>, balanceAfter: after[i]! });
    }
    await this.db.run(SQL.updateAccount, [balance, v.stateJson ?? null, v.cursorJson !== undefined ? 1 : 0, v.cursorJson ?? null, v.meter]);
    const ledger = { entries: stored.map((e) => e.id), balanceBefore: before, balanceAfter: balance, ...(v.command ? { command: v.command.id } : {}) };
    await this.insertAudit(v.ts, v.meter, v.audit.action, v.audit.cause, { ...v.audit.detail, ledger });
    if (v.command) await this.db.run(SQL.insertCommand, [v.command.id, v.command.type, this.now(), outcomeJson]);
    if (v.tokenMemory) await this.db.run(SQL.saveTokenMemory, [v.meter, v.tokenMemory.scheme, v.tokenMemory.json]);
    return { entries: stored, balance, ...(outcomeJson !== undefined ? { outcome: JSON.parse(outcomeJson) as CommandOutcome } : {}) };
  }

  private async applyEach(checked: ReadonlyArray<{ ok: true; v: ValidPosting } | { ok: false; error: Error }>): Promise<PostManyResult[]> {
    const results: PostManyResult[] = [];
    for (const c of checked) {
      if (!c.ok) {
        results.push({ ok: false, error: c.error });
        continue;
      }
      await this.db.exec('SAVEPOINT posting');
      try {
        const r = await this.apply(c.v);
        await this.db.exec('RELEASE posting');
        results.push({ ok: true, ...r });
      } catch (e) {
        // If SQLite already rolled the whole transaction back, this throws and fails the batch.
        await this.db.exec('ROLLBACK TO posting; RELEASE posting');
        results.push({ ok: false, error: storeError('E_STORE_WRITE', 'cannot post', this.path, e, { meter: c.v.meter }) as Error });
      }
    }
    return results;
  }

  private async insertAudit(ts: number, meter: string | null, action: string, cause: string, detail: Record<string, unknown>): Promise<number> {
    const { lastID } = await this.db.run(SQL.insertAudit, [ts, meter, action, cause, toJson(detail, 'audit.detail')]);
    return lastID;
  }

  private async transaction<T>(job: () => Promise<T>, notify = true): Promise<T> {
    const r = await inTransaction(this.db, job);
    // After the COMMIT and outside the transaction: a listener's failure is its own, never the posting's.
    if (notify)
      for (const l of this.commitListeners) {
        try {
          l();
        } catch {
          // ignored
        }
      }
    return r;
  }

  /** Queue a job on the lane; validation errors thrown by `job` before any SQL reject the call alone. */
  private serial<T>(job: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(closedError(this.path));
    const p = this.tail.then(job);
    this.tail = p.catch(() => undefined);
    return p;
  }

  private write<T>(what: string, context: Record<string, unknown>, job: () => Promise<T>): Promise<T> {
    return this.serial(job).catch((e: unknown) => {
      throw storeError('E_STORE_WRITE', what, this.path, e, context);
    });
  }

  private read<T>(what: string, job: () => Promise<T>): Promise<T> {
    return this.serial(job).catch((e: unknown) => {
      throw storeError('E_STORE_OPEN', what, this.path, e);
    });
  }
}
