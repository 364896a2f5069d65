/**
 * Where the rating keeps its work, in the gateway's SQLite file beside the ledger (own connection,
 * tables prefixed `rating_` and `notify_`):
 *
 * | table | what |
 * |---|---|
 * | `rating_cursor` | the last ledger entry id and audit id folded (one cursor for all accounts) |
 * | `rating_accounts` | per meter: its folded facts and reminder state (JSON) |
 * | `rating_scores` | every rating computed: meter, ts, score, grade, band, monthly use, factors (JSON) |
 * | `notify_outbox` | reminders to deliver: id (the receiver's de-dup key), payload, attempts, next try, delivered_at |
 *
 * Reminders are written with their accounts' facts and reminder state in one transaction; the
 * cursor with every account folded since (hourly, at the daily pass and at stop). Each account's
 * facts carry the ids of the last rows folded into them, so after a crash the fold from the older
 * cursor skips what an account already has, and derives the same reminders, with the same ids.
 */
import { PrepaidError } from '@prepaid-edge/protocols';
import { inTransaction, openConnection, type Connection } from '../store/ledger/connection.js';
import { APPLICATION_ID } from '../store/ledger/schema.js';
import type { AccountFacts, Rating, RatingAudit, RatingEntry, ReminderState } from '../../core/rating/index.js';
import { RATED_ACTIONS } from '../../core/rating/index.js';
import type { EntryKind } from '../../core/credit/contracts.js';

const TABLES = `
  CREATE TABLE IF NOT EXISTS rating_cursor (key TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS rating_accounts (meter TEXT PRIMARY KEY NOT NULL, facts TEXT NOT NULL, reminders TEXT NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS rating_scores (
    meter TEXT NOT NULL, ts INTEGER NOT NULL, score INTEGER NOT NULL, grade TEXT NOT NULL, band TEXT NOT NULL,
    monthly_use INTEGER NOT NULL, factors TEXT NOT NULL, PRIMARY KEY (meter, ts)
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS notify_outbox (
    id TEXT PRIMARY KEY NOT NULL, meter TEXT NOT NULL, kind TEXT NOT NULL, created_at INTEGER NOT NULL,
    payload TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL,
    delivered_at INTEGER, last_error TEXT
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS notify_outbox_due ON notify_outbox (next_at) WHERE delivered_at IS NULL;
`;

export interface AccountWork {
  facts: AccountFacts;
  reminders: ReminderState;
}

export interface Notification {
  id: string;
  meter: string;
  kind: string;
  createdAt: number;
  payload: Record<string, unknown>;
  attempts: number;
  nextAt: number;
  deliveredAt: number | null;
  lastError: string | null;
}

interface NotifyRow {
  id: string;
  meter: string;
  kind: string;
  created_at: number;
  payload: string;
  attempts: number;
  next_at: number;
  delivered_at: number | null;
  last_error: string | null;
}

const toNotification = (r: NotifyRow): Notification => ({
  id: r.id,
  meter: r.meter,
  kind: r.kind,
  createdAt: r.created_at,
  payload: JSON.parse(r.payload) as Record<string, unknown>,
  attempts: r.attempts,
  nextAt: r.next_at,
  deliveredAt: r.delivered_at,
  lastError: r.last_error,
});

export class RatingStore {
  private tail: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly db: Connection,
    readonly path: string,
  ) {}

  /** Opens an existing gateway file (the outbox or the ledger created it) and adds the tables. */
  static async open(path: string, opts: { readonly?: boolean } = {}): Promise<RatingStore> {
    let db: Connection;
    try {
      db = await openConnection(path, false);
    } catch (e) {
      throw new PrepaidError('E_STORE_OPEN', `${path}: cannot open the gateway database for the rating: ${(e as Error).message}`, { path }, { cause: e });
    }
    try {
      await db.exec('PRAGMA busy_timeout = 2000');
      const appId = (await db.get<{ application_id: number }>('PRAGMA application_id'))?.application_id;
      if (appId !== APPLICATION_ID) throw new PrepaidError('E_STORE_OPEN', `${path}: not a prepaid-edge gateway database`, { path });
      if (!opts.readonly) await db.exec(`PRAGMA synchronous = FULL; ${TABLES}`);
    } catch (e) {
      await db.close().catch(() => undefined);
      throw e;
    }
    return new RatingStore(db, path);
  }

  /** Serialised: one transaction at a time on this connection. */
  private serial<T>(job: () => Promise<T>): Promise<T> {
    const p = this.tail.then(job, job);
    this.tail = p.catch(() => undefined);
    return p;
  }

  private async tx<T>(job: () => Promise<T>): Promise<T> {
    return this.serial(() =>
      inTransaction(this.db, job).catch((e: Error) => {
        throw new PrepaidError('E_STORE_WRITE', `${this.path}: rating write failed: ${e.message}`, { path: this.path }, { cause: e });
      }),
    );
  }

  private async hasTable(name: string): Promise<boolean> {
    return (await this.db.get("SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = ?", [name])) !== undefined;
  }

  async cursor(): Promise<{ entry: number; audit: number }> {
    if (!(await this.hasTable('rating_cursor'))) return { entry: 0, audit: 0 };
    const rows = await this.db.all<{ key: string; value: number }>('SELECT key, value FROM rating_cursor');
    const get = (k: string): number => rows.find((r) => r.key === k)?.value ?? 0;
    return { entry: get('entry'), audit: get('audit') };
  }

  /** Ledger entries after `afterId`, oldest first, at most `limit`. */
  async entriesAfter(afterId: number, limit: number): Promise<RatingEntry[]> {
    // A file the outbox created before the ledger ever opened it has no ledger tables yet.
    if (afterId === 0 && !(await this.hasTable('ledger_entries'))) return [];
    const rows = await this.db.all<{ id: number; meter: string; kind: EntryKind; amount: number; ts: number; balance_after: number }>(
      'SELECT id, meter, kind, amount, ts, balance_after FROM ledger_entries WHERE id > ? ORDER BY id LIMIT ?',
      [afterId, limit],
    );
    return rows.map((r) => ({ id: r.id, meter: r.meter, kind: r.kind, amount: r.amount, ts: r.ts, balanceAfter: r.balance_after }));
  }

  /** The audit rows the rating counts after `afterId` (up to `uptoId`), oldest first. */
  async auditAfter(afterId: number, limit: number): Promise<RatingAudit[]> {
    const marks = RATED_ACTIONS.map(() => '?').join(', ');
    const rows = await this.db.all<{ id: number; meter: string | null; ts: number; action: string; detail: string }>(
      `SELECT id, meter, ts, action, detail FROM ledger_audit WHERE id > ? AND action IN (${marks}) AND meter IS NOT NULL ORDER BY id LIMIT ?`,
      [afterId, ...RATED_ACTIONS, limit],
    );
    return rows.map((r) => ({ id: r.id, meter: r.meter!, ts: r.ts, action: r.action, detail: JSON.parse(r.detail) as Record<string, unknown> }));
  }

  async maxAuditId(): Promise<number> {
    if (!(await this.hasTable('ledger_audit'))) return 0;
    return (await this.db.get<{ id: number | null }>('SELECT max(id) AS id FROM ledger_audit'))?.id ?? 0;
  }

  async accounts(): Promise<Map<string, AccountWork>> {
    const out = new Map<string, AccountWork>();
    if (!(await this.hasTable('rating_accounts'))) return out;
    for (const r of await this.db.all<{ meter: string; facts: string; reminders: string }>('SELECT meter, facts, reminders FROM rating_accounts')) {
      out.set(r.meter, { facts: JSON.parse(r.facts) as AccountFacts, reminders: JSON.parse(r.reminders) as ReminderState });
    }
    return out;
  }

  /**
   * One transaction: the accounts' facts and reminder state, the cursor (when given: every account
   * folded since the last cursor must be among `accounts`), the new ratings and the reminders
   * (INSERT OR IGNORE: an id already queued or delivered stays as it is).
   */
  save(o: { cursor?: { entry: number; audit: number }; accounts: ReadonlyMap<string, AccountWork>; ratings?: readonly Rating[]; notifications?: ReadonlyArray<Pick<Notification, 'id' | 'meter' | 'kind' | 'createdAt' | 'payload'>>; now: number }): Promise<void> {
    return this.tx(async () => {
      if (o.cursor) await this.db.run("INSERT INTO rating_cursor (key, value) VALUES ('entry', ?), ('audit', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [o.cursor.entry, o.cursor.audit]);
      await this.batch(
        'INSERT INTO rating_accounts (meter, facts, reminders, updated_at) VALUES',
        '(?, ?, ?, ?)',
        [...o.accounts].map(([meter, w]) => [meter, JSON.stringify(w.facts), JSON.stringify(w.reminders), o.now]),
        'ON CONFLICT (meter) DO UPDATE SET facts = excluded.facts, reminders = excluded.reminders, updated_at = excluded.updated_at',
      );
      await this.batch(
        'INSERT INTO rating_scores (meter, ts, score, grade, band, monthly_use, factors) VALUES',
        '(?, ?, ?, ?, ?, ?, ?)',
        (o.ratings ?? []).map((r) => [r.meter, r.ts, r.score, r.grade, r.band, r.monthlyUse, JSON.stringify(r.factors)]),
        'ON CONFLICT (meter, ts) DO UPDATE SET score = excluded.score, grade = excluded.grade, band = excluded.band, monthly_use = excluded.monthly_use, factors = excluded.factors',
      );
      await this.batch(
        'INSERT OR IGNORE INTO notify_outbox (id, meter, kind, created_at, payload, next_at) VALUES',
        '(?, ?, ?, ?, ?, ?)',
        (o.notifications ?? []).map((n) => [n.id, n.meter, n.kind, n.createdAt, JSON.stringify(n.payload), n.createdAt]),
      );
    });
  }

  /** Multi-row inserts, 100 rows a statement (SQLite's parameter limit). */
  private async batch(head: string, one: string, rows: unknown[][], tail = ''): Promise<void> {
    for (let i = 0; i < rows.length; i += 100) {
      const chunk = rows.slice(i, i + 100);
      await this.db.run(`${head} ${chunk.map(() => one).join(', ')} ${tail}`, chunk.flat());
    }
  }

  /** The latest rating of each meter (or of one), ordered by meter. */
  async latest(meter?: string): Promise<Rating[]> {
    if (!(await this.hasTable('rating_scores'))) return [];
    const rows = await this.db.all<{ meter: string; ts: number; score: number; grade: string; band: string; monthly_use: number; factors: string }>(
      `SELECT s.meter, s.ts, s.score, s.grade, s.band, s.monthly_use, s.factors FROM rating_scores s
       JOIN (SELECT meter, max(ts) AS ts FROM rating_scores ${meter ? 'WHERE meter = ?' : ''} GROUP BY meter) m ON m.meter = s.meter AND m.ts = s.ts ORDER BY s.meter`,
      meter ? [meter] : [],
    );
    return rows.map((r) => ({ meter: r.meter, ts: r.ts, score: r.score, grade: r.grade, band: r.band, monthlyUse: r.monthly_use, factors: JSON.parse(r.factors) as Rating['factors'] }));
  }

  /** Reminders not yet delivered and due by `now`, oldest first. */
  async due(now: number, limit = 50): Promise<Notification[]> {
    return (await this.db.all<NotifyRow>('SELECT * FROM notify_outbox WHERE delivered_at IS NULL AND next_at <= ? ORDER BY next_at, created_at LIMIT ?', [now, limit])).map(toNotification);
  }

  /** The earliest next try of an undelivered reminder, or null. */
  async nextDue(): Promise<number | null> {
    return (await this.db.get<{ t: number | null }>('SELECT min(next_at) AS t FROM notify_outbox WHERE delivered_at IS NULL'))?.t ?? null;
  }

  async notifications(meter?: string): Promise<Notification[]> {
    if (!(await this.hasTable('notify_outbox'))) return [];
    return (await this.db.all<NotifyRow>(`SELECT * FROM notify_outbox ${meter ? 'WHERE meter = ?' : ''} ORDER BY created_at, id`, meter ? [meter] : [])).map(toNotification);
  }

  /** Queue reminders on their own (disconnection notices from events). */
  enqueue(list: ReadonlyArray<Pick<Notification, 'id' | 'meter' | 'kind' | 'createdAt' | 'payload'>>): Promise<void> {
    return this.tx(() =>
      this.batch(
        'INSERT OR IGNORE INTO notify_outbox (id, meter, kind, created_at, payload, next_at) VALUES',
        '(?, ?, ?, ?, ?, ?)',
        list.map((n) => [n.id, n.meter, n.kind, n.createdAt, JSON.stringify(n.payload), n.createdAt]),
      ),
    );
  }

  /** Only after a 2xx from the receiver. */
  markDelivered(id: string, at: number): Promise<void> {
    return this.tx(async () => void (await this.db.run('UPDATE notify_outbox SET delivered_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ? AND delivered_at IS NULL', [at, id])));
  }

  markFailed(id: string, nextAt: number, error: string): Promise<void> {
    return this.tx(async () => void (await this.db.run('UPDATE notify_outbox SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE id = ? AND delivered_at IS NULL', [nextAt, error.slice(0, 500), id])));
  }

  close(): Promise<void> {
    return this.serial(() => this.db.close());
  }
}
