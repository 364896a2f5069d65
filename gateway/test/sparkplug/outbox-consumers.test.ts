/**
 * One outbox, two consumers (real SQLite files): the JSON uplink (delete after PUBACK) and the
 * Sparkplug edge node (a delivered cursor, meta.spb_delivered). A reading is deleted once every
 * consumer has it; sparkplug.mode instead: the cursor alone deletes.
 */
import { join } from 'node:path';
import test from 'ava';
import { openOutbox } from '../../src/adapters/store/index.js';
import { tempDir } from '../store/temp-dir.js';

const cfg = (path: string) => ({ path, maxReadings: 5_000_000, maxBytes: 1 << 30, synchronous: 'normal' as const });
const r = (meter: string, i: number) => ({ meter, ts: 1_763_800_000_000 + i, values: { energyImport: i } });
const ids = (rows: Array<{ id: number }>) => rows.map((x) => x.id);

test('beside: a reading the JSON uplink has stays until the Sparkplug cursor passes it, and the uplink never reads it again', async (t) => {
  const path = join(tempDir(t), 'gw.db');
  const ob = await openOutbox(cfg(path), { consumers: { json: true, sparkplug: true } });
  const stored = await ob.appendReadings([1, 2, 3, 4, 5, 6].map((i) => r('m1', i)));
  const [a, b, c, d, e, f] = ids(stored) as [number, number, number, number, number, number];
  t.is(ob.sparkplugCursor(), 0);
  await ob.deleteReadings([a, b, c, d]); // JSON PUBACKs
  t.is((await ob.stats()).readings, 6, 'nothing deleted: Sparkplug has none of them yet');
  t.deepEqual(ids(await ob.pendingReadings(100)), [e, f], 'the uplink does not see what it already has');
  t.deepEqual(ids(await ob.pendingReadings(2)), [e, f], 'a page of held rows only is read past, not returned as "nothing pending"');
  t.deepEqual(ids(await ob.sparkplugPending(100)), [a, b, c, d, e, f]);
  await ob.sparkplugDelivered(c);
  t.is((await ob.stats()).readings, 3, 'a, b, c: both consumers have them');
  t.deepEqual(ids(await ob.sparkplugPending(100)), [d, e, f], 'the Sparkplug consumer reads on from its cursor');
  await ob.deleteReadings([e]); // past the cursor: held
  await ob.sparkplugDelivered(f);
  t.is((await ob.stats()).readings, 1, 'only f is left: the uplink has not had it');
  t.deepEqual(ids(await ob.pendingReadings(100)), [f]);
  await ob.deleteReadings([f]); // behind the cursor: deleted at once
  t.is((await ob.stats()).readings, 0);
  await ob.close();
  const again = await openOutbox(cfg(path), { consumers: { json: true, sparkplug: true } });
  t.is(again.sparkplugCursor(), f, 'the cursor is durable');
  t.deepEqual(await again.sparkplugPending(100), []);
  await again.close();
});

test('instead: no JSON consumer; the Sparkplug cursor alone deletes; newest undelivered reading per meter', async (t) => {
  const path = join(tempDir(t), 'gw.db');
  const ob = await openOutbox(cfg(path), { consumers: { json: false, sparkplug: true } });
  const stored = await ob.appendReadings([r('m1', 1), r('m2', 2), r('m1', 3), r('m2', 4), r('m1', 5)]);
  t.deepEqual((await ob.sparkplugNewest()).map((x) => [x.meter, x.values.energyImport]), [['m2', 4], ['m1', 5]]);
  await ob.sparkplugDelivered(stored[3]!.id);
  t.is((await ob.stats()).readings, 1);
  t.deepEqual((await ob.sparkplugNewest()).map((x) => x.meter), ['m1'], 'only undelivered ones');
  await ob.sparkplugDelivered(stored[1]!.id); // backwards: ignored
  t.is(ob.sparkplugCursor(), stored[3]!.id);
  await ob.close();
  const plain = await openOutbox(cfg(path));
  await t.throwsAsync(plain.sparkplugDelivered(99), { code: 'E_STORE_INPUT' });
  t.is((await plain.stats()).readings, 1, 'a JSON-only outbox keeps what the uplink has not had');
  await plain.close();
});
