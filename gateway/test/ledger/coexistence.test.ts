/** The ledger and the outbox share one SQLite file: either may create it, each keeps its own tables and version. */
import test from 'ava';
import type { StorageConfig } from '../../src/core/config/gateway-config.js';
import { LEDGER_SCHEMA_VERSION, openLedger } from '../../src/adapters/store/ledger/index.js';
import { openOutbox } from '../../src/adapters/store/index.js';
import { STATE, entry, posting, raw, spec, tempDb } from './fixtures.js';

const cfg = (path: string): StorageConfig => ({ path, maxReadings: 1_000_000, maxBytes: 1 << 30, synchronous: 'full' });

async function useLedger(path: string, amount: number): Promise<number> {
  const l = await openLedger(path);
  try {
    await l.ensureAccount(spec('m1'), STATE);
    return (await l.post(posting('m1', [entry('topup', amount)]))).balance;
  } finally {
    await l.close();
  }
}

async function useOutbox(path: string, ts: number): Promise<number[]> {
  const o = await openOutbox(cfg(path));
  try {
    await o.appendReadings([{ meter: 'm1', ts, values: { energyImport: ts } }]);
    return (await o.pendingReadings(100)).map((r) => r.ts);
  } finally {
    await o.close();
  }
}

test('outbox first, then ledger, then both again: each finds its own data intact', async (t) => {
  const path = tempDb(t);
  t.deepEqual(await useOutbox(path, 1), [1]);
  t.is(await useLedger(path, 100), 100);
  t.deepEqual(await useOutbox(path, 2), [1, 2]);
  t.is(await useLedger(path, 50), 150);
  t.deepEqual(await raw(path, "SELECT value FROM meta WHERE key = 'schema_version'"), [{ value: 1 }], "the outbox's version is its own");
  t.deepEqual(await raw(path, "SELECT value FROM ledger_meta WHERE key = 'schema_version'"), [{ value: LEDGER_SCHEMA_VERSION }]);
  t.deepEqual(await raw(path, 'PRAGMA integrity_check'), [{ integrity_check: 'ok' }]);
});

test('ledger first: the outbox accepts the file the ledger created and adds its tables', async (t) => {
  const path = tempDb(t);
  t.is(await useLedger(path, 100), 100);
  t.deepEqual(await useOutbox(path, 7), [7]);
  t.is(await useLedger(path, 1), 101);
  const l = await openLedger(path);
  t.teardown(() => l.close());
  t.true((await l.verify()).ok);
});

// The outbox takes ownership through a lock on a file of its own (<db>.lock), not SQLite's
// exclusive locking of <db>, so the ledger's own connection can write the same file while the outbox is open.
test('the ledger and the outbox are open on the same file at the same time', async (t) => {
  const path = tempDb(t);
  const o = await openOutbox(cfg(path), { busyTimeoutMs: 200 });
  t.teardown(() => o.close());
  const l = await openLedger(path, { busyTimeoutMs: 200 });
  t.teardown(() => l.close());
  await l.ensureAccount(spec('m1'), STATE);
  await Promise.all([o.appendReadings([{ meter: 'm1', ts: 1, values: { e: 1 } }]), l.post(posting('m1', [entry('topup', 5)]))]);
  t.is((await l.account('m1'))!.balance, 5);
  t.is((await o.pendingReadings(10)).length, 1);
});
