/** Exactly-once command handling: one command id is applied once, whatever the timing. */
import test from 'ava';
import type { CommandOutcome } from '../../src/core/credit/contracts.js';
import { openLedger, type Ledger, type Posting } from '../../src/adapters/store/ledger/index.js';
import { STATE, opened, posting, raw, spec, tempDb } from './fixtures.js';

function topup(id: string, amount: number, meter = 'm1'): Posting {
  return posting(meter, [{ kind: 'topup', amount, ts: 1, cause: { command: id } }], {
    audit: { action: 'topup', cause: `command ${id}` },
    command: { id, type: 'topup', outcome: (balance): CommandOutcome => ({ status: 'applied', id, type: 'topup', meter, balance }) },
  });
}

async function counts(path: string): Promise<Record<string, unknown>> {
  const [r] = await raw(path, "SELECT (SELECT count(*) FROM ledger_entries) AS entries, (SELECT count(*) FROM ledger_audit WHERE action = 'topup') AS audits, (SELECT count(*) FROM ledger_commands) AS commands");
  return r!;
}

async function ready(t: import('ava').ExecutionContext): Promise<{ path: string; l: Ledger }> {
  const path = tempDb(t);
  const l = await opened(t, path);
  await l.ensureAccount(spec('m1'), STATE);
  return { path, l };
}

test('the same command id posted twice in sequence is applied once; the second gets duplicate + the original outcome', async (t) => {
  const { path, l } = await ready(t);
  const first = await l.post(topup('c1', 1000));
  t.deepEqual(first.outcome, { status: 'applied', id: 'c1', type: 'topup', meter: 'm1', balance: 1000 });
  const second = await l.post(topup('c1', 1000));
  t.deepEqual(second, { entries: [], balance: 1000, outcome: { status: 'duplicate', id: 'c1', original: first.outcome! } });
  t.deepEqual(await counts(path), { entries: 1, audits: 1, commands: 1 });
});

test('twenty concurrent posts of one command id: exactly one applied, nineteen duplicates', async (t) => {
  const { path, l } = await ready(t);
  const rs = await Promise.all(Array.from({ length: 20 }, () => l.post(topup('c1', 250))));
  t.is(rs.filter((r) => r.outcome?.status === 'applied').length, 1);
  t.is(rs.filter((r) => r.outcome?.status === 'duplicate').length, 19);
  t.is((await l.account('m1'))!.balance, 250);
  t.deepEqual(await counts(path), { entries: 1, audits: 1, commands: 1 });
});

test('two ledger connections on one file racing the same command ids: each id applied exactly once', async (t) => {
  const { path, l } = await ready(t);
  const other = await opened(t, path);
  const ids = Array.from({ length: 10 }, (_, i) => `c${i}`);
  const rs = await Promise.all(ids.flatMap((id) => [l.post(topup(id, 100)), other.post(topup(id, 100))]));
  t.is(rs.filter((r) => r.outcome?.status === 'applied').length, 10);
  t.is((await l.account('m1'))!.balance, 1000);
  t.deepEqual(await counts(path), { entries: 10, audits: 10, commands: 10 });
  t.true((await l.verify()).ok);
});

test('a command id applied before a restart is a duplicate after it', async (t) => {
  const path = tempDb(t);
  const l1 = await openLedger(path);
  await l1.ensureAccount(spec('m1'), STATE);
  const first = await l1.post(topup('c1', 1000));
  await l1.close();
  const l2 = await opened(t, path);
  const again = await l2.post(topup('c1', 1000));
  t.deepEqual(again.outcome, { status: 'duplicate', id: 'c1', original: first.outcome! });
  t.is((await l2.account('m1'))!.balance, 1000);
  t.deepEqual(await counts(path), { entries: 1, audits: 1, commands: 1 });
});

test('a rejected command is recorded; its replay (by post or recordRejected) gets the same answer and writes nothing', async (t) => {
  const { path, l } = await ready(t);
  const rejected: CommandOutcome = { status: 'rejected', id: 'bad-1', reason: 'E_COMMAND_SIGNATURE', message: 'signature does not verify' };
  t.deepEqual(await l.recordRejected('bad-1', 'topup', rejected), rejected);
  t.deepEqual(await l.commandOutcome('bad-1'), rejected);
  t.deepEqual(await l.recordRejected('bad-1', 'topup', rejected), { status: 'duplicate', id: 'bad-1', original: rejected });
  const replay = await l.post(topup('bad-1', 5000));
  t.deepEqual(replay.outcome, { status: 'duplicate', id: 'bad-1', original: rejected });
  t.is((await l.account('m1'))!.balance, 0);
  t.deepEqual(await counts(path), { entries: 0, audits: 0, commands: 1 });
  t.is(await l.commandOutcome('never-seen'), undefined);
  await t.throwsAsync(l.recordRejected('x', 'topup', { status: 'applied', id: 'x', type: 'topup' }), { code: 'E_LEDGER_INPUT', message: /^outcome\.status/ });
});

test('postMany: a command id repeated inside one batch is applied once', async (t) => {
  const { l } = await ready(t);
  const rs = await l.postMany([topup('c1', 100), topup('c1', 100), topup('c2', 5)]);
  t.deepEqual(rs.map((r) => r.ok && r.outcome?.status), ['applied', 'duplicate', 'applied']);
  t.is((await l.account('m1'))!.balance, 105);
});
