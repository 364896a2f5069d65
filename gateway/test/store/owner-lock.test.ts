/** The outbox owner lock: held by a POSIX lock the OS drops with the process; no pid file to go stale. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { acquireOwner, lockFileOf, otherOwner } from '../../src/adapters/store/owner-lock.js';
import { posixLockHolders } from '../../src/adapters/store/proc-locks.js';
import { openOutbox } from '../../src/adapters/store/index.js';
import { tempDir } from './temp-dir.js';

const LOCK_MODULE = new URL('../../src/adapters/store/owner-lock.js', import.meta.url).href;
const PROBE = fileURLToPath(new URL('../../src/adapters/store/lock-probe.js', import.meta.url));
const linux = process.platform === 'linux';

/** Another process that takes the lock and keeps it until killed. */
async function holder(t: import('ava').ExecutionContext, db: string): Promise<ChildProcess> {
  const code = `import { acquireOwner } from ${JSON.stringify(LOCK_MODULE)}; await acquireOwner(process.argv[1]); process.stdout.write('held\\n'); setInterval(() => {}, 1e6);`;
  const p = spawn(process.execPath, ['--input-type=module', '-e', code, db], { stdio: ['ignore', 'pipe', 'ignore'] });
  t.teardown(() => void p.kill('SIGKILL'));
  await new Promise<void>((ok, fail) => {
    p.stdout!.once('data', () => ok());
    p.once('exit', (c) => fail(new Error(`holder exited ${c}`)));
  });
  return p;
}

const killed = (p: ChildProcess): Promise<void> => new Promise((ok) => (p.exitCode !== null || p.signalCode !== null ? ok() : (p.once('exit', () => ok()), p.kill('SIGKILL'))));

test.serial('a second owner in the same process is refused; after release the file can be owned again and the lock file is gone', async (t) => {
  const db = join(tempDir(t), 'gw.db');
  const release = await acquireOwner(db);
  await t.throwsAsync(acquireOwner(db), { code: 'E_STORE_OPEN', message: /in use by this process/ });
  t.true(existsSync(lockFileOf(db)));
  await release();
  t.false(existsSync(lockFileOf(db)), 'a clean release removes <db>.lock');
  await (await acquireOwner(db))();
});

test.serial('another live process owning the file: refused quickly with E_STORE_OPEN naming the file and the pid; its SIGKILL frees it', async (t) => {
  const db = join(tempDir(t), 'gw.db');
  const p = await holder(t, db);
  const t0 = performance.now();
  const e = await t.throwsAsync(acquireOwner(db), { code: 'E_STORE_OPEN' });
  t.true(performance.now() - t0 < 1500, `refused in ${Math.round(performance.now() - t0)} ms`);
  t.true(e!.message.includes(db) && /another gateway process/.test(e!.message), e!.message);
  if (linux) t.regex(e!.message, new RegExp(`in use by process ${p.pid}`));
  t.is(otherOwner(db), linux ? p.pid : 0);
  await killed(p);
  t.true(existsSync(lockFileOf(db)), 'SIGKILL leaves the lock file, but no lock');
  t.is(otherOwner(db), undefined);
  await (await acquireOwner(db))();
});

test.serial('a stale <db>.owner of the old scheme naming a live process is ignored, and removed once owned', async (t) => {
  const db = join(tempDir(t), 'gw.db');
  writeFileSync(`${db}.owner`, `${process.ppid}\n`); // alive, and not us
  t.is(otherOwner(db), undefined);
  const o = await openOutbox({ path: db, maxReadings: 1000, maxBytes: 1 << 20, synchronous: 'normal' });
  t.false(existsSync(`${db}.owner`));
  await o.close();
});

test.serial('where /proc/locks cannot be read (not Linux, or the unit\'s ProcSubset=pid), otherOwner asks the lock itself: 0 = held, holder unnamed', async (t) => {
  const db = join(tempDir(t), 'gw.db');
  const hidden = () => {
    throw new Error('EACCES');
  };
  t.is(otherOwner(db, hidden), undefined, 'no lock file');
  const p = await holder(t, db);
  t.is(otherOwner(db, hidden), 0);
  await killed(p);
  t.is(otherOwner(db, hidden), undefined, 'a lock file left by a SIGKILL is not held');
});

test.serial('lock-probe answers held / free without creating the file', async (t) => {
  const db = join(tempDir(t), 'gw.db');
  const probe = () => spawnSync(process.execPath, [PROBE, lockFileOf(db)]).status;
  t.is(probe(), 0);
  t.false(existsSync(lockFileOf(db)));
  const p = await holder(t, db);
  t.is(probe(), 10);
  await killed(p);
  t.is(probe(), 0);
});

test.serial('/proc/locks lines are matched on device and inode; waiters and other files are skipped', (t) => {
  const dir = tempDir(t);
  const f = join(dir, 'x.lock');
  writeFileSync(f, '');
  const st = spawnSync('stat', ['-c', '%D:%i', f], { encoding: 'utf8' }).stdout?.trim();
  if (!st) return t.pass('no stat(1) here');
  const [devHex, ino] = st.split(':');
  const dev = parseInt(devHex!, 16); // small device numbers: major in bits 8-19, minor in 0-7
  const [maj, min] = [((dev >> 8) & 0xfff).toString(16).padStart(2, '0'), (dev & 0xff).toString(16).padStart(2, '0')];
  const id = `${maj}:${min}:${ino}`;
  const table = [
    `1: POSIX  ADVISORY  WRITE 4242 ${id} 1073741824 1073742335`,
    `1: -> POSIX  ADVISORY  WRITE 4343 ${id} 1073741824 1073742335`,
    `2: FLOCK  ADVISORY  WRITE 4444 ${id} 0 EOF`,
    `3: POSIX  ADVISORY  WRITE 4545 ${maj}:${min}:${Number(ino) + 1} 0 EOF`,
  ].join('\n');
  t.deepEqual(posixLockHolders(f, () => table), [4242]);
  t.deepEqual(posixLockHolders(join(dir, 'missing'), () => table), []);
  t.is(posixLockHolders(f, () => { throw new Error('ENOENT'); }), undefined);
});

test.serial('two names of one database (a symlinked directory) find the same lock', async (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'real'));
  symlinkSync(join(dir, 'real'), join(dir, 'alias'));
  const release = await acquireOwner(join(dir, 'real', 'gw.db'));
  await t.throwsAsync(acquireOwner(join(dir, 'alias', 'gw.db')), { code: 'E_STORE_OPEN' });
  t.is(lockFileOf(join(dir, 'alias', 'gw.db')), lockFileOf(join(dir, 'real', 'gw.db')));
  // Another process under the other name is refused too: the second attempt here did not drop the lock.
  await t.throwsAsync(holder(t, join(dir, 'alias', 'gw.db')), { message: /holder exited/ });
  await release();
});
