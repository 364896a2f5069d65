/** appendEventMarked: the event and its mark are committed together, or neither; bad marks are refused by field. */
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

test('a mark survives a reopen with its event; the last of a batch wins; a failed commit keeps neither', async (t) => {
  const path = join(tempDir(t), 'outbox.db');
  const cfg = { path, maxReadings: 1000, maxBytes: 1 << 20, synchronous: 'full' as const };
  const a = await openOutbox(cfg);
  t.is(await a.mark('log:p1'), undefined);
  await Promise.all([1, 2, 3].map((seq) => a.appendEventMarked({ ts: seq, type: 'meter-event', meter: 'p1', data: { seq } }, { key: 'log:p1', value: seq })));
  await a.close();
  await exec(path, "CREATE TRIGGER boom BEFORE INSERT ON events WHEN NEW.meter = 'boom' BEGIN SELECT RAISE(ABORT, 'disk on fire'); END;");
  const b = await openOutbox(cfg);
  t.teardown(() => b.close());
  t.is(await b.mark('log:p1'), 3);
  t.deepEqual((await b.pendingEvents(10)).map((e) => e.data.seq), [1, 2, 3]);
  await t.throwsAsync(b.appendEventMarked({ ts: 4, type: 'meter-event', meter: 'boom', data: {} }, { key: 'log:boom', value: 4 }), { code: 'E_STORE_WRITE' } as never);
  t.is(await b.mark('log:boom'), undefined, 'the mark went with the event');
  await t.throwsAsync(b.appendEventMarked({ ts: 5, type: 'x', data: {} }, { key: '', value: 1 }), { code: 'E_STORE_INPUT', message: /mark\.key/ } as never);
  await t.throwsAsync(b.appendEventMarked({ ts: 5, type: 'x', data: {} }, { key: 'k', value: 1.5 }), { code: 'E_STORE_INPUT', message: /mark\.value/ } as never);
  t.is((await b.pendingEvents(10)).length, 3, 'nothing stored by the refused calls');
});
