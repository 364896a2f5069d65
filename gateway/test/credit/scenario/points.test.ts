/**
 * Loyalty points (policy points) on the real firmware meter and the SQLite ledger: on-time
 * top-ups earn points, a late one (credit ran out) does not; a signed points-redeem turns points
 * into credit exactly once, audited, booked as an adjustment; asking for more than the account has
 * is refused, and the refusal is remembered.
 */
import test from 'ava';
import { assertLedgerReconciles, creditRig } from './rig.js';
import { signed, topUpCmd } from './signer.js';
import { oneAccount, policyWith } from './one-account.js';

const MIN = 60_000;
const POINTS = { perTopUp: 10, subunitsPerPoint: 50 };
const credit = oneAccount(policyWith({ points: POINTS }), 300);

test('points: on-time top-ups earn, a late one does not; points-redeem books credit exactly once', async (t) => {
  const rig = await creditRig(t, { credit, watts: 2000 });
  const account = async () => (await rig.credit.ledger.account('p1'))!;
  await rig.poll();
  // 300 sub-units at 600 an hour: out of credit after 30 min
  await rig.run(40 * MIN);
  t.is((await account()).state.supply, 'disconnected');
  const late = await rig.command(topUpCmd(rig, 'p1', 5000));
  t.is(late.status, 'applied');
  t.is((await account()).state.points ?? 0, 0, 'topped up after running out: no points');
  await rig.run(10 * MIN);
  const onTime = await rig.command(topUpCmd(rig, 'p1', 5000));
  t.like(onTime, { status: 'applied', detail: { points: 10 } });
  await rig.command(topUpCmd(rig, 'p1', 5000));
  t.is((await account()).state.points, 20);

  const before = (await account()).balance;
  const redeem = signed(rig, { type: 'points-redeem', meter: 'p1', points: 15 });
  const applied = await rig.command(redeem);
  t.like(applied, { status: 'applied', type: 'points-redeem', detail: { points: 15, amount: 750, pointsLeft: 5 } });
  const after = await account();
  t.is(after.balance, before + 750);
  t.is(after.state.points, 5);
  const again = await rig.command(redeem);
  t.is(again.status, 'duplicate', 'the same command id is booked once');
  t.is((await account()).balance, before + 750);

  const tooMany = signed(rig, { type: 'points-redeem', meter: 'p1', points: 6 });
  t.like(await rig.command(tooMany), { status: 'rejected', reason: 'E_COMMAND_POINTS' });
  t.is((await rig.command(tooMany)).status, 'duplicate', 'the refusal is remembered');
  t.is((await account()).state.points, 5);

  const entries = await rig.credit.ledger.entries('p1');
  const adj = entries.filter((e) => e.kind === 'adjustment' && e.cause.reason === 'points-redeem');
  t.is(adj.length, 1);
  t.like(adj[0]!.cause, { reason: 'points-redeem', points: 15, subunitsPerPoint: 50 });
  t.deepEqual(entries.filter((e) => e.kind === 'topup').map((e) => e.cause.points ?? 0), [0, 10, 10]);
  const audits = await rig.credit.ledger.auditLog({ meter: 'p1' });
  t.true(audits.some((a) => a.action === 'points-redeem' && (a.detail as { points?: number }).points === 15));
  await assertLedgerReconciles(t, rig.credit.ledger);
});

test('points: a policy without a points rule earns none and refuses points-redeem', async (t) => {
  const rig = await creditRig(t, { credit: oneAccount(policyWith(), 300) });
  await rig.poll();
  t.like(await rig.command(topUpCmd(rig, 'p1', 5000)), { status: 'applied' });
  t.is((await rig.credit.ledger.account('p1'))!.state.points, undefined);
  t.like(await rig.command(signed(rig, { type: 'points-redeem', meter: 'p1', points: 1 })), { status: 'rejected', reason: 'E_COMMAND_POINTS' });
});
