/**
 * Who holds a POSIX lock on a file, as Linux tells it in /proc/locks (inode → pid). Only for naming
 * the holder in messages and for a cheap "is it held" answer; correctness comes from the lock itself.
 * Lines look like `1: POSIX  ADVISORY  WRITE 8287 fe:00:2146407 1073741824 1073742335`
 * (device major:minor in hex); blocked waiters are marked `->` and skipped.
 */
import { readFileSync, statSync } from 'node:fs';

/** `undefined` when /proc/locks cannot be read (not Linux); else the pids with a lock on `path` (none if it is missing). */
export function posixLockHolders(path: string, read: () => string = () => readFileSync('/proc/locks', 'utf8')): number[] | undefined {
  let table: string;
  try {
    table = read();
  } catch {
    return undefined;
  }
  let st: { dev: bigint; ino: bigint };
  try {
    st = statSync(path, { bigint: true });
  } catch {
    return [];
  }
  // glibc's encoding of dev_t (gnu_dev_major / gnu_dev_minor).
  const major = ((st.dev >> 8n) & 0xfffn) | ((st.dev >> 32n) & ~0xfffn);
  const minor = (st.dev & 0xffn) | ((st.dev >> 12n) & ~0xffn);
  const pids = new Set<number>();
  for (const line of table.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[1] === '->' || f[1] !== 'POSIX' || f.length < 6) continue;
    const id = /^([0-9a-f]+):([0-9a-f]+):(\d+)$/.exec(f[5]!);
    if (!id || BigInt(`0x${id[1]}`) !== major || BigInt(`0x${id[2]}`) !== minor || BigInt(id[3]!) !== st.ino) continue;
    const pid = Number(f[4]);
    if (Number.isSafeInteger(pid) && pid > 0) pids.add(pid);
  }
  return [...pids];
}
