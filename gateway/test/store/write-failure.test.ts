/** A transaction that fails keeps nothing: not in the file, not in the seqs or counters held in memory. */
import test from 'ava';
import { join } from 'node:path';
import sqlite3 from 'sqlite3';
import { openOutbox } from '../../src/adapters/store/index.js';
import { tempDir } from './temp-dir.js';

function exec(path: string, sql: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(path, (err) => {
      if (err) return reject(err);
      db.exec(sql, (e) => db.close(() => (e ? reject(e) : resolve())));
    });
  });
}

test('a failed commit rejects every call in it with E_STORE_WRITE and rolls back seqs and counters', async (t) => {
  const path = join(tempDir(t), 'outbox.db');
  const cfg = { path, maxReadings: 1_000_000, maxBytes: 1 << 30, synchronous: 'full' as const };
  await (await openOutbox(cfg)).close();
  // A real SQLite failure inside the INSERT, without mocking: a trigger that aborts on meter "boom".
  await exec(path, "CREATE TRIGGER boom BEFORE INSERT ON readings WHEN NEW.meter = 'boom' BEGIN SELECT RAISE(ABORT, 'disk on fire'); END;");
  const o = await openOutbox(cfg);
  t.teardown(() => o.close());
  await o.appendReadings([{ meter: 'm1', ts: 1, values: { e: 1 } }]);
  const before = await o.stats();

  const same = [o.appendReadings([{ meter: 'm1', ts: 2, values: { e: 2 } }]), o.appendReadings([{ meter: 'boom', ts: 2, values: {} }]), o.appendEvent({ ts: 2, type: 'alarm' })];
  for (const p of same) {
    const e = await t.throwsAsync(p as Promise<unknown>);
    t.like(e, { code: 'E_STORE_WRITE', context: { path } });
    t.regex(e!.message, /disk on fire/);
  }
  t.deepEqual(await o.stats(), before, 'counters rolled back');
  t.deepEqual(await o.lastSeqs(), { m1: 1 }, 'seqs rolled back');
  const [next] = await o.appendReadings([{ meter: 'm1', ts: 3, values: { e: 3 } }]);
  t.is(next!.seq, 2, 'the seq of the failed reading was not burnt: it was never stored, never published');
  t.deepEqual((await o.pendingReadings(10)).map((r) => r.ts), [1, 3]);
  t.deepEqual(await o.pendingEvents(10), []);
});
