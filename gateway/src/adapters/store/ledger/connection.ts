/**
 * The ledger's own node-sqlite3 connection, with a cache of prepared statements: a posting runs
 * the same six or seven small statements every time, and preparing them once per posting costs
 * about as much as running them. Every read steps its statement to the end (`all`), so no read
 * is ever left open holding a snapshot.
 */
import sqlite3 from 'sqlite3';

export type Params = readonly unknown[];

export interface RunResult {
  lastID: number;
  changes: number;
}

export interface Connection {
  run(sql: string, params?: Params): Promise<RunResult>;
  all<T>(sql: string, params?: Params): Promise<T[]>;
  get<T>(sql: string, params?: Params): Promise<T | undefined>;
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

/** Run `job` between BEGIN IMMEDIATE and COMMIT; on an error roll back and rethrow it unchanged. */
export async function inTransaction<T>(db: Connection, job: () => Promise<T>): Promise<T> {
  await db.exec('BEGIN IMMEDIATE');
  try {
    const r = await job();
    await db.exec('COMMIT');
    return r;
  } catch (e) {
    await db.exec('ROLLBACK').catch(() => undefined);
    throw e;
  }
}

/** `create` false refuses to create the file (SQLITE_CANTOPEN), so a typo never makes an empty ledger. */
export function openConnection(path: string, create: boolean): Promise<Connection> {
  const mode = sqlite3.OPEN_READWRITE | (create ? sqlite3.OPEN_CREATE : 0);
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(path, mode, (err) => (err ? reject(err) : resolve(new CachedConnection(db))));
  });
}

class CachedConnection implements Connection {
  private readonly statements = new Map<string, Promise<sqlite3.Statement>>();

  constructor(private readonly db: sqlite3.Database) {}

  private statement(sql: string): Promise<sqlite3.Statement> {
    let p = this.statements.get(sql);
    if (!p) {
      p = new Promise((resolve, reject) => {
        const s = this.db.prepare(sql, (err) => (err ? reject(err) : resolve(s)));
      });
      this.statements.set(sql, p);
      p.catch(() => this.statements.delete(sql));
    }
    return p;
  }

  async run(sql: string, params: Params = []): Promise<RunResult> {
    const s = await this.statement(sql);
    return new Promise((resolve, reject) =>
      s.run(params, function (this: sqlite3.RunResult, err: Error | null) {
        if (err) reject(err);
        else resolve({ lastID: this.lastID, changes: this.changes });
      }),
    );
  }

  async all<T>(sql: string, params: Params = []): Promise<T[]> {
    const s = await this.statement(sql);
    return new Promise((resolve, reject) => s.all(params, (err: Error | null, rows: T[]) => (err ? reject(err) : resolve(rows))));
  }

  async get<T>(sql: string, params: Params = []): Promise<T | undefined> {
    return (await this.all<T>(sql, params))[0];
  }

  exec(sql: string): Promise<void> {
    return new Promise((resolve, reject) => this.db.exec(sql, (err) => (err ? reject(err) : resolve())));
  }

  async close(): Promise<void> {
    const statements = await Promise.allSettled([...this.statements.values()]);
    this.statements.clear();
    for (const s of statements) if (s.status === 'fulfilled') await new Promise<void>((resolve) => s.value.finalize(() => resolve()));
    await new Promise<void>((resolve, reject) => this.db.close((err) => (err ? reject(err) : resolve())));
  }
}
