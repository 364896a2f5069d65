/**
 * storage.commitWindowMs (flash wear): readings arriving one by one, as 247 meters' polls do, wait
 * for each other and share a transaction; an event, a delete or a close commits at once. Nothing
 * waits longer than the window, and nothing is lost at close. A real SQLite file.
 */
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { openOutbox } from '../../src/adapters/store/index.js';
import { tempDir } from './temp-dir.js';

const cfg = (t: ExecutionContext, commitWindowMs: number) => ({ path: join(tempDir(t), 'gw.db'), maxReadings: 100_000, maxBytes: 1 << 26, synchronous: 'full' as const, commitWindowMs });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('readings 5 ms apart share transactions within the window; without it each commits on its own', async (t) => {
  const counts: number[] = [];
  for (const windowMs of [0, 100]) {
    const o = await openOutbox(cfg(t, windowMs));
    const before = o.writeStats().commits;
    const done: Promise<unknown>[] = [];
    for (let i = 0; i < 60; i++) {
      done.push(o.appendReadings([{ meter: `m${i % 7}`, ts: 1_700_000_000_000 + i, values: { energyImportWh: i } }]));
      await sleep(5);
    }
    await Promise.all(done);
    counts.push(o.writeStats().commits - before);
    t.is((await o.stats()).readings, 60);
    await o.close();
  }
  t.log(`commits for 60 readings 5 ms apart: window 0 -> ${counts[0]}, window 100 ms -> ${counts[1]}`);
  t.true(counts[0]! >= 30, `without a window nearly every reading commits alone (${counts[0]})`);
  t.true(counts[1]! <= 8, `with a 100 ms window a few transactions carry them (${counts[1]})`);
});

test('a reading waits at most the window; an event does not wait, and takes the waiting readings with it', async (t) => {
  const o = await openOutbox(cfg(t, 300));
  t.teardown(() => o.close());
  const t0 = performance.now();
  await o.appendReadings([{ meter: 'm1', ts: 1, values: { e: 1 } }]);
  const waited = performance.now() - t0;
  t.true(waited >= 250 && waited < 1500, `the reading committed after the window (${waited.toFixed(0)} ms)`);
  const r = o.appendReadings([{ meter: 'm1', ts: 2, values: { e: 2 } }]);
  const t1 = performance.now();
  await o.appendEvent({ ts: 3, type: 'comm-lost', meter: 'm1' });
  await r;
  t.true(performance.now() - t1 < 200, 'the event committed at once, the queued reading with it');
});

test('close commits the readings still waiting in the window', async (t) => {
  const c = cfg(t, 1000);
  const o = await openOutbox(c);
  const pending = o.appendReadings([{ meter: 'm1', ts: 1, values: { e: 1 } }]);
  await o.close();
  await pending;
  const again = await openOutbox({ ...c, commitWindowMs: 0 });
  t.is((await again.stats()).readings, 1);
  await again.close();
});
