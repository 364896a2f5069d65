/**
 * Promise wrappers over node-sqlite3. One connection; node-sqlite3 runs each call on the libuv
 * thread pool, so the event loop stays free while SQLite works (and fsyncs).
 */
import sqlite3 from 'sqlite3';

export type Row = Record<string, unknown>;
export type Params = readonly unknown[];

export interface RunResult {
  lastID: number;
  changes: number;
}

export interface Db {
  run(sql: string, params?: Params): Promise<RunResult>;
  get<T extends Row>(sql: string, params?: Params): Promise<T | undefined>;
  all<T extends Row>(sql: string, params?: Params): Promise<T[]>;
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

/** Open a file; `create` false refuses to create it (SQLITE_CANTOPEN) so a typo never makes an empty outbox. */
export function openDb(path: string, create: boolean): Promise<Db> {
  const mode = sqlite3.OPEN_READWRITE | (create ? sqlite3.OPEN_CREATE : 0);
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(path, mode, (err) => (err ? reject(err) : resolve(wrap(db))));
  });
}

function wrap(db: sqlite3.Database): Db {
  return {
    run: (sql, params = []) =>
      new Promise((resolve, reject) =>
        db.run(sql, params, function (this: sqlite3.RunResult, err: Error | null) {
          if (err) reject(err);
          else resolve({ lastID: this.lastID, changes: this.changes });
        }),
      ),
    get: <T extends Row>(sql: string, params: Params = []) =>
      new Promise<T | undefined>((resolve, reject) => db.get(sql, params, (err: Error | null, row: T | undefined) => (err ? reject(err) : resolve(row)))),
    all: <T extends Row>(sql: string, params: Params = []) =>
      new Promise<T[]>((resolve, reject) => db.all(sql, params, (err: Error | null, rows: T[]) => (err ? reject(err) : resolve(rows)))),
    exec: (sql) => new Promise((resolve, reject) => db.exec(sql, (err) => (err ? reject(err) : resolve()))),
    close: () => new Promise((resolve, reject) => db.close((err) => (err ? reject(err) : resolve()))),
  };
}
