/** Accounts, postings, reads, and everything surviving close and reopen. */
import test from 'ava';
import { ManualClock } from '@prepaid-edge/protocols';
import { openLedger } from '../../src/adapters/store/ledger/index.js';
import { STATE, entry, opened, posting, raw, spec, tempDb } from './fixtures.js';

test('a new account starts at balance 0 with its initial state, no cursor, and an audit row', async (t) => {
  const l = await opened(t, tempDb(t));
  const a = await l.ensureAccount(spec('m1'), STATE);
  t.deepEqual(a, { ...spec('m1'), balance: 0, state: STATE, cursor: null, createdAt: 1_700_000_000_000 });
  t.deepEqual(await l.account('m1'), a);
  t.is(await l.account('nope'), undefined);
  const log = await l.auditLog();
  t.is(log.length, 1);
  t.like(log[0], { meter: 'm1', action: 'account-created', cause: 'ensureAccount' });
});

test('ensureAccount is idempotent; a new class or customer is an audited update; unit and currency cannot change', async (t) => {
  const l = await opened(t, tempDb(t));
  await l.ensureAccount(spec('m1'), STATE);
  await l.post(posting('m1', [entry('topup', 5000)]));
  const again = await l.ensureAccount(spec('m1'), { ...STATE, supply: 'disconnected' });
  t.is(again.balance, 5000, 'the balance is kept');
  t.is(again.state.supply, 'connected', 'the initial state only applies to a new account');
  t.is((await l.auditLog({ action: 'account-updated' })).length, 0, 'nothing changed, nothing audited');

  const moved = await l.ensureAccount(spec('m1', { customerClass: 'commercial' }), STATE);
  t.is(moved.customerClass, 'commercial');
  t.is((await l.account('m1'))!.customerClass, 'commercial');
  const [upd] = await l.auditLog({ action: 'account-updated' });
  t.deepEqual(upd!.detail, { customerClass: { from: 'residential', to: 'commercial' } });

  const e1 = await t.throwsAsync(l.ensureAccount(spec('m1', { creditUnit: 'energy', currency: undefined }), STATE));
  t.like(e1, { code: 'E_LEDGER_INPUT', context: { path: 'spec.creditUnit' } });
  const e2 = await t.throwsAsync(l.ensureAccount(spec('m1', { currency: 'EUR', customerClass: 'industrial' }), STATE));
  t.like(e2, { code: 'E_LEDGER_INPUT', context: { path: 'spec.currency' } });
  t.is((await l.account('m1'))!.customerClass, 'commercial', 'a refused update changed nothing');
});

test('post appends entries with running balances, updates state and cursor, and audits', async (t) => {
  const l = await opened(t, tempDb(t));
  await l.ensureAccount(spec('m1'), STATE);
  const cursor = { lastWh: 1000, lastTs: 5, remainderMilli: 250, month: '2026-11', monthWh: 1000, standingDay: '2026-11-30' };
  const r = await l.post(posting('m1', [entry('topup', 10_000), entry('consumption', -1234), entry('standing-charge', -500)], { cursor, state: { ...STATE, warned: 0 }, audit: { action: 'charge', cause: 'reading 7', detail: { seq: 7 } } }));
  t.is(r.balance, 8266);
  t.deepEqual(r.entries.map((e) => [e.kind, e.amount, e.balanceAfter]), [['topup', 10_000, 10_000], ['consumption', -1234, 8766], ['standing-charge', -500, 8266]]);
  t.deepEqual(r.entries.map((e) => e.id), [1, 2, 3]);
  t.is(r.outcome, undefined);
  const a = (await l.account('m1'))!;
  t.is(a.balance, 8266);
  t.deepEqual(a.cursor, cursor);
  t.is(a.state.warned, 0);
  t.deepEqual(await l.entries('m1'), r.entries);
  t.deepEqual(await l.entries('m1', { afterId: 1, limit: 1 }), [r.entries[1]!]);
  const [audit] = await l.auditLog({ action: 'charge' });
  t.deepEqual(audit!.detail, { seq: 7, ledger: { entries: [1, 2, 3], balanceBefore: 0, balanceAfter: 8266 } });

  // omitted state and cursor are kept; cursor null clears it
  await l.post(posting('m1', [entry('consumption', -66)]));
  t.deepEqual((await l.account('m1'))!.cursor, cursor);
  t.is((await l.account('m1'))!.state.warned, 0);
  const r2 = await l.post(posting('m1', [], { cursor: null }));
  t.is(r2.balance, 8200);
  t.is((await l.account('m1'))!.cursor, null);
});

test('a posting to an unknown meter is E_LEDGER_UNKNOWN_ACCOUNT and writes nothing', async (t) => {
  const path = tempDb(t);
  const l = await opened(t, path);
  const e = await t.throwsAsync(l.post(posting('ghost', [entry('topup', 1)])));
  t.like(e, { code: 'E_LEDGER_UNKNOWN_ACCOUNT', context: { meter: 'ghost' } });
  t.deepEqual(await raw(path, 'SELECT count(*) AS n FROM ledger_audit'), [{ n: 0 }]);
});

test('accounts, entries, audit, commands and token memory survive close and reopen', async (t) => {
  const path = tempDb(t);
  const l1 = await openLedger(path, { clock: new ManualClock({ now: 42 }) });
  await l1.ensureAccount(spec('m2'), STATE);
  await l1.ensureAccount(spec('m1', { creditUnit: 'energy', currency: undefined }), STATE);
  await l1.post(posting('m1', [entry('topup', 700)], { command: { id: 'c1', type: 'topup', outcome: (balance) => ({ status: 'applied', id: 'c1', type: 'topup', meter: 'm1', balance }) }, tokenMemory: { scheme: 'sts', memory: { tids: [1, 2] } } }));
  await l1.audit({ ts: 9, meter: 'm1', action: 'relay-trip', cause: 'credit exhausted', detail: { readback: 'disconnected' } });
  const snapshot = { accounts: await l1.accounts(), entries: await l1.entries('m1'), audit: await l1.auditLog(), outcome: await l1.commandOutcome('c1'), memory: await l1.tokenMemory('m1', 'sts') };
  await l1.close();
  await t.throwsAsync(l1.accounts(), { code: 'E_STORE_OPEN', message: /closed/ });

  const l2 = await opened(t, path);
  t.deepEqual(snapshot.accounts.map((a) => a.meter), ['m1', 'm2']);
  t.deepEqual(await l2.accounts(), snapshot.accounts);
  t.deepEqual(await l2.entries('m1'), snapshot.entries);
  t.deepEqual(await l2.auditLog(), snapshot.audit);
  t.deepEqual(await l2.commandOutcome('c1'), { status: 'applied', id: 'c1', type: 'topup', meter: 'm1', balance: 700 });
  t.deepEqual(await l2.tokenMemory('m1', 'sts'), { tids: [1, 2] });
  t.is(await l2.tokenMemory('m1', 'openpaygo'), undefined);
  const next = await l2.post(posting('m1', [entry('consumption', -100)]));
  t.true(next.entries[0]!.id > snapshot.entries.at(-1)!.id);
  t.is(next.balance, 600);
  t.true((await l2.verify()).ok);
});

test('audit() records relay actions without a meter too, and auditLog filters by meter and action', async (t) => {
  const l = await opened(t, tempDb(t));
  await l.ensureAccount(spec('m1'), STATE);
  const a = await l.audit({ ts: 5, action: 'gateway-start', cause: 'boot' });
  t.deepEqual(a, { id: a.id, ts: 5, action: 'gateway-start', cause: 'boot', detail: {} });
  await l.audit({ ts: 6, meter: 'm1', action: 'relay-trip', cause: 'credit exhausted' });
  t.deepEqual((await l.auditLog({ meter: 'm1' })).map((x) => x.action), ['account-created', 'relay-trip']);
  t.deepEqual((await l.auditLog({ action: 'relay-trip' })).map((x) => x.ts), [6]);
  t.deepEqual((await l.auditLog({ afterId: a.id })).map((x) => x.action), ['relay-trip']);
  await t.throwsAsync(l.audit({ ts: -1, action: 'x', cause: 'y' }), { code: 'E_LEDGER_INPUT', message: /^audit\.ts/ });
});
