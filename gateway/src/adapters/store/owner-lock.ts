/**
 * One outbox owner per database file, held by a lock the OS drops when the process dies (SIGKILL,
 * power cut): a POSIX lock on `<db>.lock`, taken by a dedicated SQLite connection in exclusive
 * locking mode with a transaction open. No pid is recorded, so nothing can go stale; a pid that is
 * alive again after a reboot means nothing. The outbox caches each meter's last seq in memory, so
 * two writers would hand out the same seq; gw.db's own locks cannot say "owner" without locking out
 * the ledger and the web console, which share that file on their own connections, hence a file of
 * its own. A second outbox in this process is refused too (SQLite would let it through).
 *
 * Never open `<db>.lock` with node:fs while holding it: closing any descriptor of a file drops all of
 * the process's POSIX locks on it (SQLite's own connections share one descriptor, so they are safe).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, realpathSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sqlite3 from 'sqlite3';
import { GatewayError } from './errors.js';
import { posixLockHolders } from './proc-locks.js';

const held = new Set<string>();

/** How long a starting owner waits out a momentary holder (a `lock-probe`), not another gateway. */
const WAIT_MS = 250;

/**
 * The database's real path: two names of one file (a symlink, a symlinked directory) must find one
 * lock, and this process must never open a lock file it holds under another name (see above).
 */
function realPathOf(dbPath: string): string {
  const abs = resolve(dbPath);
  try {
    return realpathSync(abs);
  } catch {
    try {
      return join(realpathSync(dirname(abs)), basename(abs));
    } catch {
      return abs;
    }
  }
}

export const lockFileOf = (dbPath: string): string => `${realPathOf(dbPath)}.lock`;

function refuse(dbPath: string, who: string, context: Record<string, unknown> = {}): never {
  throw new GatewayError('E_STORE_OPEN', `${dbPath}: in use by ${who}; is another gateway process using this file?`, { path: dbPath, lock: lockFileOf(dbPath), ...context });
}

function inode(path: string): bigint | undefined {
  try {
    return statSync(path, { bigint: true }).ino;
  } catch {
    return undefined;
  }
}

function openLock(path: string): Promise<sqlite3.Database> {
  return new Promise((ok, fail) => {
    const db = new sqlite3.Database(path, sqlite3.OPEN_READWRITE, (err) => (err ? fail(err) : ok(db)));
  });
}

const exec = (db: sqlite3.Database, sql: string): Promise<void> => new Promise((ok, fail) => db.exec(sql, (e) => (e ? fail(e) : ok())));
const close = (db: sqlite3.Database): Promise<void> => new Promise((ok) => db.close(() => ok()));

/** Take ownership of `dbPath`; resolves to the release function. E_STORE_OPEN when another process (or this one) owns it. */
export async function acquireOwner(dbPath: string): Promise<() => Promise<void>> {
  const path = realPathOf(dbPath);
  if (held.has(path)) refuse(dbPath, `this process (pid ${process.pid})`);
  held.add(path);
  const lock = lockFileOf(path);
  try {
    // A releasing owner unlinks the file while it still holds it, so what was locked must still be
    // the file at `lock` afterwards; else it was a removed one, and the next round takes the new one.
    for (let round = 0; round < 5; round++) {
      try {
        closeSync(openSync(lock, 'a', 0o644)); // exists before SQLite opens it, so its inode can be compared
      } catch (e) {
        throw new GatewayError('E_STORE_OPEN', `${dbPath}: cannot create the lock file ${lock}: ${(e as Error).message}`, { path: dbPath, lock }, { cause: e });
      }
      const before = inode(lock);
      const db = await openLock(lock).catch((e: Error) => {
        throw new GatewayError('E_STORE_OPEN', `${dbPath}: cannot open the lock file ${lock}: ${e.message}`, { path: dbPath, lock }, { cause: e });
      });
      db.configure('busyTimeout', WAIT_MS);
      try {
        await exec(db, 'PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = OFF; BEGIN EXCLUSIVE;');
      } catch (e) {
        await close(db);
        if ((e as { code?: string }).code !== 'SQLITE_BUSY') throw new GatewayError('E_STORE_OPEN', `${dbPath}: cannot lock ${lock}: ${(e as Error).message}`, { path: dbPath, lock }, { cause: e });
        const pids = (posixLockHolders(lock) ?? []).filter((p) => p !== process.pid);
        refuse(dbPath, pids.length > 0 ? `process ${pids.join(', ')}` : 'another process', pids.length > 0 ? { pid: pids[0] } : {});
      }
      if (before === undefined || inode(lock) !== before) {
        await close(db);
        continue;
      }
      rmSync(`${path}.owner`, { force: true }); // the pid file of builds before this lock
      let released = false;
      return async () => {
        if (released) return;
        released = true;
        rmSync(lock, { force: true }); // while still held: see the inode check above
        await close(db);
        held.delete(path);
      };
    }
    refuse(dbPath, 'another process (the lock file keeps being replaced)');
  } catch (e) {
    held.delete(path);
    throw e;
  }
}

/** E_STORE_OPEN when Linux says another process holds the lock; silent where it cannot say (acquireOwner decides). */
export function refuseIfOwnedElsewhere(dbPath: string): void {
  const pids = (posixLockHolders(lockFileOf(dbPath)) ?? []).filter((p) => p !== process.pid);
  if (pids.length > 0) refuse(dbPath, `process ${pids.join(', ')}`, { pid: pids[0] });
}

/** This process owns `dbPath`. */
export function ownedHere(dbPath: string): boolean {
  return held.has(realPathOf(dbPath));
}

/**
 * pid of another process owning `dbPath`: from /proc/locks where Linux has it, else a probe of the
 * lock (then 0: held, by a process the OS does not name). undefined when nobody else owns it.
 */
export function otherOwner(dbPath: string, procLocks?: () => string): number | undefined {
  if (ownedHere(dbPath)) return undefined;
  const lock = lockFileOf(dbPath);
  if (!existsSync(lock)) return undefined;
  const pid = (posixLockHolders(lock, procLocks) ?? []).find((p) => p !== process.pid);
  if (pid !== undefined) return pid;
  const probe = spawnSync(process.execPath, [fileURLToPath(new URL('./lock-probe.js', import.meta.url)), lock], { stdio: 'ignore', timeout: 10_000 });
  return probe.status === 10 ? 0 : undefined;
}
