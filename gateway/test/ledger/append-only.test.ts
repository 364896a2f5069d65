/** Entries, audit rows and command outcomes are append-only in the file itself, not only through the API. */
import test from 'ava';
import { STATE, entry, opened, posting, raw, spec, tempDb } from './fixtures.js';

const CASES: Array<[string, string, RegExp]> = [
  ['UPDATE ledger_entries SET amount = 1000000', 'entries update', /ledger_entries is append-only: rows are never updated/],
  ['DELETE FROM ledger_entries', 'entries delete', /ledger_entries is append-only: rows are never deleted/],
  ["UPDATE ledger_audit SET cause = 'nothing happened'", 'audit update', /ledger_audit is append-only/],
  ['DELETE FROM ledger_audit', 'audit delete', /ledger_audit is append-only/],
  ["UPDATE ledger_commands SET outcome = '{}'", 'command update', /ledger_commands is append-only/],
  ['DELETE FROM ledger_commands', 'command delete', /ledger_commands is append-only/],
  ['DELETE FROM ledger_accounts', 'account delete', /ledger_accounts rows are never deleted/],
];

for (const [sql, name, message] of CASES) {
  test(`triggers refuse ${name} from any connection`, async (t) => {
    const path = tempDb(t);
    const l = await opened(t, path);
    await l.ensureAccount(spec('m1'), STATE);
    await l.post(posting('m1', [entry('topup', 10)], { command: { id: 'c1', type: 'topup', outcome: () => ({ status: 'applied', id: 'c1', type: 'topup' }) } }));
    const before = await raw(path, 'SELECT (SELECT count(*) FROM ledger_entries) e, (SELECT count(*) FROM ledger_audit) a, (SELECT count(*) FROM ledger_commands) c, (SELECT sum(amount) FROM ledger_entries) s');
    const e = await t.throwsAsync(raw(path, sql));
    t.regex(e!.message, message);
    t.deepEqual(await raw(path, 'SELECT (SELECT count(*) FROM ledger_entries) e, (SELECT count(*) FROM ledger_audit) a, (SELECT count(*) FROM ledger_commands) c, (SELECT sum(amount) FROM ledger_entries) s'), before);
  });
}

test('the schema refuses a non-integer amount or an unknown kind even from a raw INSERT', async (t) => {
  const path = tempDb(t);
  const l = await opened(t, path);
  await l.ensureAccount(spec('m1'), STATE);
  await l.close();
  await t.throwsAsync(raw(path, "INSERT INTO ledger_entries (meter, kind, amount, ts, cause, balance_after) VALUES ('m1', 'topup', 1.5, 0, '{}', 0)"), { message: /CHECK constraint failed/ });
  await t.throwsAsync(raw(path, "INSERT INTO ledger_entries (meter, kind, amount, ts, cause, balance_after) VALUES ('m1', 'gift', 1, 0, '{}', 1)"), { message: /CHECK constraint failed/ });
});
