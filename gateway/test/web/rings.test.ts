/** The console's in-memory history (per-minute power/energy) and event ring, and the audit-log tail. */
import test from 'ava';
import { EventRing } from '../../src/adapters/web/event-ring.js';
import { HistoryRing } from '../../src/adapters/web/history.js';
import { latestAudit } from '../../src/adapters/credit/latest-audit.js';
import type { AuditEntry } from '../../src/adapters/store/ledger/index.js';

const T0 = Date.UTC(2026, 0, 5, 12);

test('history: one point per minute, mean power and last energy, at most `buckets` points', (t) => {
  const h = new HistoryRing(60_000, 3);
  h.add({ meter: 'm', ts: T0 + 1000, values: { power: 100, energyImport: 10 } });
  h.add({ meter: 'm', ts: T0 + 30_000, values: { power: 300, energyImport: 12 } });
  h.add({ meter: 'm', ts: T0 + 61_000, values: { energyImport: 15 } });
  t.deepEqual(h.series('m'), [
    { t: T0, powerW: 200, energyWh: 12 },
    { t: T0 + 60_000, powerW: null, energyWh: 15 },
  ]);
  for (let i = 2; i < 6; i++) h.add({ meter: 'm', ts: T0 + i * 60_000, values: { power: i } });
  t.deepEqual(h.series('m').map((p) => p.t), [T0 + 3 * 60_000, T0 + 4 * 60_000, T0 + 5 * 60_000]);
  t.deepEqual(h.series('m', T0 + 4 * 60_000).map((p) => p.powerW), [4, 5]);
  h.add({ meter: 'm', ts: T0, values: { power: 9999 } });
  t.is(h.series('m').length, 3, 'a reading from before the newest bucket is ignored');
  t.deepEqual(h.series('other'), []);
});

test('event ring: newest N kept, `after` pages forward', (t) => {
  const r = new EventRing(3);
  for (let i = 1; i <= 5; i++) r.push({ ts: T0 + i, type: `e${i}` });
  t.deepEqual(r.latest().map((e) => e.type), ['e3', 'e4', 'e5']);
  t.deepEqual(r.latest(2).map((e) => e.type), ['e4', 'e5']);
  t.deepEqual(r.latest(10, 4).map((e) => e.n), [5]);
});

test('latestAudit finds the tail of an id-ordered log without reading it all', async (t) => {
  for (const total of [0, 1, 2, 7, 100, 1025]) {
    const rows: AuditEntry[] = Array.from({ length: total }, (_, i) => ({ id: i + 1, ts: T0 + i, action: 'a', cause: 'c', detail: {} }));
    let calls = 0;
    const ledger = {
      auditLog: async (q: { afterId?: number; limit?: number } = {}) => {
        calls++;
        return rows.filter((r) => r.id > (q.afterId ?? 0)).slice(0, q.limit ?? 1000);
      },
    };
    const tail = await latestAudit(ledger, 5);
    t.deepEqual(tail.map((r) => r.id), rows.slice(-5).map((r) => r.id), `total ${total}`);
    t.true(calls <= 2 * Math.ceil(Math.log2(total + 2)) + 3, `few queries for ${total} rows (${calls})`);
  }
});
