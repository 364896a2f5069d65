/**
 * `node lock-probe.js <db>.lock`: exit 0 when nobody holds the owner lock, 10 when a process does.
 * A child process, so that `ownerPid` can stay synchronous where /proc/locks does not answer; it
 * takes a shared lock for a moment (acquireOwner waits that out) and never creates the file.
 */
import sqlite3 from 'sqlite3';

const HELD = 10;
const path = process.argv[2];
if (!path) {
  process.stderr.write('usage: lock-probe <lock file>\n');
  process.exit(2);
}
const db = new sqlite3.Database(path, sqlite3.OPEN_READONLY, (err) => {
  if (err) process.exit((err as { code?: string }).code === 'SQLITE_CANTOPEN' ? 0 : 1);
  db.configure('busyTimeout', 0);
  db.get('PRAGMA schema_version', (e: (Error & { code?: string }) | null) => {
    const code = !e ? 0 : e.code === 'SQLITE_BUSY' ? HELD : 1;
    db.close(() => process.exit(code));
  });
});
