/** Nothing partial ever commits: a posting that fails part-way leaves no trace, in the file or in the results. */
import test from 'ava';
import type { CommandOutcome } from '../../src/core/credit/contracts.js';
import { STATE, entry, opened, posting, raw, rawExec, spec, tempDb } from './fixtures.js';

async function snapshot(path: string): Promise<unknown> {
  return {
    accounts: await raw(path, 'SELECT * FROM ledger_accounts ORDER BY meter'),
    entries: await raw(path, 'SELECT * FROM ledger_entries ORDER BY id'),
    audit: await raw(path, 'SELECT * FROM ledger_audit ORDER BY id'),
    commands: await raw(path, 'SELECT * FROM ledger_commands ORDER BY id'),
    memory: await raw(path, 'SELECT * FROM ledger_token_memory'),
    seq: await raw(path, 'SELECT * FROM sqlite_sequence ORDER BY name'),
  };
}

const CURSOR = { lastWh: 1, lastTs: 1, remainderMilli: 0, month: '2026-11', monthWh: 1, standingDay: '2026-11-30' };

test('an outcome callback that throws after the balance is known: nothing of the posting is kept', async (t) => {
  const path = tempDb(t);
  const l = await opened(t, path);
  await l.ensureAccount(spec('m1'), STATE);
  await l.post(posting('m1', [entry('topup', 100)]));
  const before = await snapshot(path);
  const boom = new Error('outcome exploded');
  const e = await t.throwsAsync(l.post(posting('m1', [entry('topup', 50), entry('consumption', -10)], {
    state: { ...STATE, warned: 1 }, cursor: CURSOR, tokenMemory: { scheme: 'sts', memory: [1] },
    command: { id: 'c1', type: 'topup', outcome: () => { throw boom; } },
  })));
  t.is(e, boom, "the caller's own error comes back unchanged");
  t.deepEqual(await snapshot(path), before);
  t.is(await l.commandOutcome('c1'), undefined, 'the command can be retried');
  const retry = await l.post(posting('m1', [entry('topup', 50)], { command: { id: 'c1', type: 'topup', outcome: (b): CommandOutcome => ({ status: 'applied', id: 'c1', type: 'topup', balance: b }) } }));
  t.is(retry.outcome?.status, 'applied');
  t.is(retry.balance, 150);
});

test('a real SQLite failure in the last write of a posting (the token memory) rolls back entries, balance, audit and command', async (t) => {
  const path = tempDb(t);
  const l0 = await opened(t, path);
  await l0.ensureAccount(spec('m1'), STATE);
  await l0.close();
  // A trigger makes the very last statement of the posting fail, with no mocking.
  await rawExec(path, "CREATE TRIGGER boom BEFORE INSERT ON ledger_token_memory WHEN NEW.memory = '\"boom\"' BEGIN SELECT RAISE(ABORT, 'disk on fire'); END;");
  const l = await opened(t, path);
  const before = await snapshot(path);
  const e = await t.throwsAsync(l.post(posting('m1', [entry('topup', 500)], {
    cursor: CURSOR, command: { id: 'c9', type: 'token', outcome: (b): CommandOutcome => ({ status: 'applied', id: 'c9', type: 'token', balance: b }) },
    tokenMemory: { scheme: 'sts', memory: 'boom' },
  })));
  t.like(e, { code: 'E_STORE_WRITE', context: { path, meter: 'm1' } });
  t.regex(e!.message, /disk on fire/);
  t.deepEqual(await snapshot(path), before);
  t.is((await l.account('m1'))!.balance, 0);
  // The ledger goes on working after the failure.
  const ok = await l.post(posting('m1', [entry('topup', 500)], { tokenMemory: { scheme: 'sts', memory: 'fine' } }));
  t.is(ok.balance, 500);
  t.is(ok.entries[0]!.id, 1, 'the failed entry id was never committed, so the next entry takes it');
});

test('postMany: each posting is all-or-nothing on its own; the others commit', async (t) => {
  const path = tempDb(t);
  const l0 = await opened(t, path);
  await l0.ensureAccount(spec('m1'), STATE);
  await l0.ensureAccount(spec('m2'), STATE);
  await l0.close();
  await rawExec(path, "CREATE TRIGGER boom BEFORE INSERT ON ledger_audit WHEN NEW.action = 'boom' BEGIN SELECT RAISE(ABORT, 'audit disk on fire'); END;");
  const l = await opened(t, path);
  const rs = await l.postMany([
    posting('m1', [entry('topup', 100)]),
    posting('m2', [entry('topup', 7), entry('consumption', -1)], { audit: { action: 'boom', cause: 'x' }, cursor: CURSOR }), // fails in SQLite after its entries
    posting('m2', [entry('topup', 1.5)]), // fails validation
    posting('nobody', [entry('topup', 1)]), // unknown account
    posting('m2', [entry('topup', 20)]),
    posting('m1', [entry('consumption', -30)]),
  ]);
  t.deepEqual(rs.map((r) => r.ok), [true, false, false, false, true, true]);
  t.like(rs[1], { ok: false, error: { code: 'E_STORE_WRITE' } });
  t.like(rs[2], { ok: false, error: { code: 'E_LEDGER_INPUT', context: { path: 'posts[2].entries[0].amount' } } });
  t.like(rs[3], { ok: false, error: { code: 'E_LEDGER_UNKNOWN_ACCOUNT', context: { path: 'posts[3].meter' } } });
  t.deepEqual(rs.map((r) => (r.ok ? r.balance : null)), [100, null, null, null, 20, 70]);
  t.is((await l.account('m2'))!.cursor, null, 'the failed posting did not set the cursor');
  t.deepEqual((await l.entries('m2')).map((e) => e.amount), [20]);
  t.true((await l.verify()).ok);
});
