/** Read-only looks into the gateway database (safe while the service runs: SQLite WAL readers do not block it). */
import sqlite3 from 'sqlite3';

export interface DbSummary {
  readings: number;
  events: number;
  oldestReadingTs: number | null;
  accounts: Array<{ meter: string; balance: number; creditUnit: string; currency: string | null; supply: string | null }>;
}

function open(path: string): Promise<sqlite3.Database> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(path, sqlite3.OPEN_READONLY, (err) => (err ? reject(err) : resolve(db)));
  });
}

const all = <T>(db: sqlite3.Database, sql: string): Promise<T[]> => new Promise((resolve, reject) => db.all(sql, [], (err: Error | null, rows: T[]) => (err ? reject(err) : resolve(rows))));
const close = (db: sqlite3.Database): Promise<void> => new Promise((resolve) => db.close(() => resolve()));

async function tables(db: sqlite3.Database): Promise<Set<string>> {
  return new Set((await all<{ name: string }>(db, "SELECT name FROM sqlite_master WHERE type = 'table'")).map((r) => r.name));
}

export async function summarize(path: string): Promise<DbSummary> {
  const db = await open(path);
  try {
    db.configure('busyTimeout', 2000);
    const t = await tables(db);
    const out: DbSummary = { readings: 0, events: 0, oldestReadingTs: null, accounts: [] };
    if (t.has('readings')) {
      const [r] = await all<{ n: number; oldest: number | null }>(db, 'SELECT count(*) AS n, min(ts) AS oldest FROM readings');
      out.readings = r?.n ?? 0;
      out.oldestReadingTs = r?.oldest ?? null;
    }
    if (t.has('events')) out.events = (await all<{ n: number }>(db, 'SELECT count(*) AS n FROM events'))[0]?.n ?? 0;
    if (t.has('ledger_accounts')) {
      const rows = await all<{ meter: string; balance: number; credit_unit: string; currency: string | null; state: string }>(db, 'SELECT meter, balance, credit_unit, currency, state FROM ledger_accounts ORDER BY meter');
      out.accounts = rows.map((r) => {
        let supply: string | null = null;
        try {
          supply = (JSON.parse(r.state) as { supply?: string }).supply ?? null;
        } catch {
          /* state unreadable: leave it out */
        }
        return { meter: r.meter, balance: r.balance, creditUnit: r.credit_unit, currency: r.currency, supply };
      });
    }
    return out;
  } finally {
    await close(db);
  }
}

/** PRAGMA integrity_check on a read-only connection: 'ok' or the first problems. */
export async function integrity(path: string): Promise<string> {
  const db = await open(path);
  try {
    const rows = await all<{ integrity_check: string }>(db, 'PRAGMA integrity_check(5)');
    return rows.map((r) => r.integrity_check).join('; ');
  } finally {
    await close(db);
  }
}
