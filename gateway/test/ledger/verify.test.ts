/** verify() replays the entries and reports, without raising, every balance that does not match. */
import test from 'ava';
import { STATE, entry, opened, posting, rawExec, spec, tempDb } from './fixtures.js';

test('verify is ok on an honest ledger, and reports a tampered balance and a tampered balance_after', async (t) => {
  const path = tempDb(t);
  const l = await opened(t, path);
  for (const m of ['m1', 'm2', 'm3']) await l.ensureAccount(spec(m), STATE);
  await l.post(posting('m1', [entry('topup', 1000), entry('consumption', -300)]));
  await l.post(posting('m2', [entry('topup', 50)]));
  t.deepEqual(await l.verify(), { ok: true, mismatches: [] });
  await l.close();

  // Tampering needs the append-only trigger dropped first: exactly what verify is there to catch.
  await rawExec(path, `
    UPDATE ledger_accounts SET balance = 999999 WHERE meter = 'm2';
    DROP TRIGGER ledger_entries_no_update;
    UPDATE ledger_entries SET balance_after = 1 WHERE id = 1;`);
  const l2 = await opened(t, path);
  const r = await l2.verify();
  t.false(r.ok);
  t.deepEqual(r.mismatches, [
    { meter: 'm2', stored: 999999, replay: 50 },
    { meter: 'm1', stored: 1, replay: 1000, entryId: 1 },
  ]);
  t.deepEqual(await l2.verify('m3'), { ok: true, mismatches: [] });
  t.deepEqual((await l2.verify('m2')).mismatches, [{ meter: 'm2', stored: 999999, replay: 50 }]);
});
