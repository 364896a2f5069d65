/**
 * The console's own small SQLite file (`<db name>.console.db` beside the gateway database): login
 * sessions (only a SHA-256 of each cookie token) and login-failure counts, so neither a logout nor
 * a lockout is forgotten on restart. A separate file rather than tables in the gateway database:
 * a login never waits on the outbox's write batches or its fsyncs, the gateway file's schema and
 * integrity check stay the store's own, and deleting this file is a safe "log everyone out" that
 * cannot touch readings or the ledger.
 */
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { systemClock } from '@prepaid-edge/protocols';
import { storeError } from '../store/errors.js';
import { openDb, type Db } from '../store/sqlite.js';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS sessions (
    token_hash   TEXT PRIMARY KEY,
    user         TEXT NOT NULL,
    password_fp  TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS login_failures (
    key          TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    first_at     INTEGER NOT NULL,
    locked_until INTEGER NOT NULL
  ) WITHOUT ROWID;
`;

/** `/var/lib/prepaid/gw.db` -> `/var/lib/prepaid/gw.console.db`. */
export function consoleStorePath(gatewayDbPath: string): string {
  const name = basename(gatewayDbPath, extname(gatewayDbPath));
  return join(dirname(gatewayDbPath), `${name}.console.db`);
}

/**
 * Open (or create) the store. A damaged file (power cut mid-write, or not a database at all) must
 * not keep the gateway from starting: sessions are disposable, so it is moved aside as
 * `<file>.damaged-<ms>` and a fresh one is made; `onReset` says so (everyone logs in again).
 */
export async function openConsoleStore(path: string, onReset: (why: string, movedTo: string) => void = () => undefined, now: () => number = () => systemClock.now()): Promise<Db> {
  try {
    return await openOnce(path);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (path === ':memory:' || (code !== 'E_STORE_CORRUPT' && code !== 'SQLITE_CORRUPT' && code !== 'SQLITE_NOTADB')) throw e;
    const movedTo = `${path}.damaged-${now()}`;
    renameSync(path, movedTo);
    for (const ext of ['-wal', '-shm']) rmSync(`${path}${ext}`, { force: true });
    onReset((e as Error).message, movedTo);
    return openOnce(path);
  }
}

async function openOnce(path: string): Promise<Db> {
  let db: Db;
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    db = await openDb(path, true);
  } catch (e) {
    throw storeError('E_STORE_OPEN', 'cannot open the console session store', path, e);
  }
  try {
    await db.exec('PRAGMA busy_timeout = 2000; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;');
    const check = await db.all<{ quick_check: string }>('PRAGMA quick_check');
    if (check.length !== 1 || check[0]!.quick_check !== 'ok') throw Object.assign(new Error(`quick_check: ${check.map((r) => r.quick_check).join('; ')}`), { code: 'SQLITE_CORRUPT' });
    await db.exec(SCHEMA);
  } catch (e) {
    await db.close().catch(() => undefined);
    throw storeError('E_STORE_OPEN', 'cannot prepare the console session store', path, e);
  }
  return db;
}
