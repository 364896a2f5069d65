/**
 * One outbox owner per database file. The outbox caches each meter's last seq in memory, so two
 * writers would hand out the same seq; SQLite's own locks cannot say "owner" without locking out
 * the ledger, which shares the file on its own connection. So the owner is recorded beside the
 * file (`<db>.owner`, holding the pid): another live process, or a second outbox in this one, is
 * refused; a file left by a process that died (SIGKILL, power cut) is taken over.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { GatewayError } from './errors.js';

const held = new Set<string>();

function alive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function refuse(path: string, who: string): never {
  throw new GatewayError('E_STORE_OPEN', `${path}: in use by ${who}; is another gateway process using this file?`, { path, owner: who });
}

/** Take ownership of `dbPath`; returns the release function. */
export function acquireOwner(dbPath: string): () => void {
  const path = resolve(dbPath);
  const lock = `${path}.owner`;
  if (held.has(path)) refuse(dbPath, `this process (pid ${process.pid})`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lock, 'wx', 0o644);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      held.add(path);
      return () => {
        if (!held.delete(path)) return;
        try {
          if (Number(readFileSync(lock, 'utf8').trim()) === process.pid) rmSync(lock, { force: true });
        } catch {
          /* already gone */
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new GatewayError('E_STORE_OPEN', `${dbPath}: cannot create ${lock}: ${(e as Error).message}`, { path: dbPath }, { cause: e });
      let pid = NaN;
      try {
        pid = Number(readFileSync(lock, 'utf8').trim());
      } catch {
        /* vanished meanwhile: retry */
      }
      if (alive(pid) && pid !== process.pid) refuse(dbPath, `process ${pid}`);
      rmSync(lock, { force: true }); // left by a process that is gone
    }
  }
  refuse(dbPath, 'another process (owner file keeps reappearing)');
}
