/**
 * A maintenance override holds the relay against the credit rules until it ends or is released; a
 * gateway restart never moves a relay by itself (the state is persisted, the rules act only on
 * transitions): counted as relay commands reaching the meter.
 */
import test, { type ExecutionContext } from 'ava';
import { assertLedgerReconciles, creditRig, type Rig } from './rig.js';
import { KEYS, signed, topUpCmd } from './signer.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const FLAT = { id: 'flat', creditUnit: 'currency', currency: 'EUR', subunitsPerUnit: 1000, periods: [{ id: 'flat', pricePerKwh: 300 }], tou: [], defaultPeriod: 'flat', standingChargePerDay: 0 };

function credit(mode: 'auto' | 'armed', openingBalance = 300) {
  // A friendly window that never applies keeps the meter's own backup threshold off, so every
  // relay move in these tests is the gateway's.
  const policy = { id: 'p', lowCreditThresholds: [1500, 600], emergencyCredit: null, friendly: { windows: [{ days: ['holiday'], from: '00:00', to: '00:00' }], holidays: [] }, disconnectNoticeMs: 0, maxDebt: 0, reconnect: { mode, threshold: 100 } };
  return { tariffs: { flat: FLAT }, policies: { p: policy }, classes: { r: { tariff: 'flat', policy: 'p' } }, accounts: [{ meter: 'p1', customer: 'C-1', class: 'r', openingBalance }], keys: KEYS };
}

const supply = async (rig: Rig) => (await rig.credit.ledger.account('p1'))!.state.supply;

test('override: held open for maintenance whatever the credit, then released back to the rules', async (t) => {
  const rig = await creditRig(t, { credit: credit('auto', 100_000) });
  await rig.poll();
  const until = rig.clock.now() + 2 * HOUR;
  t.is((await rig.command(signed(rig, { type: 'relay-override', meter: 'p1', state: 'disconnected', until }))).status, 'applied');
  t.false(rig.relayClosed(1), 'opened for maintenance');
  await rig.command(topUpCmd(rig, 'p1', 5000));
  await rig.run(30 * MIN);
  t.false(rig.relayClosed(1), 'credit does not close a held relay');
  t.is((await rig.command(signed(rig, { type: 'relay-override', meter: 'p1', state: 'auto' }))).status, 'applied');
  t.true(rig.relayClosed(1), 'released: the rules (in credit, connected) close it');
  t.deepEqual(rig.relayWrites(1).coil, [false, true]);
  await assertLedgerReconciles(t, rig.credit.ledger);
});

/** An account held closed by an override for 2 h, run for 1 h: its credit ran out at 30 min. */
async function heldClosedPastExhaustion(t: ExecutionContext): Promise<{ rig: Rig; until: number }> {
  const rig = await creditRig(t, { credit: credit('auto') });
  await rig.poll();
  const until = rig.clock.now() + 2 * HOUR;
  await rig.command(signed(rig, { type: 'relay-override', meter: 'p1', state: 'connected', until }));
  await rig.run(HOUR);
  t.true(rig.relayClosed(1), 'credit ran out at 30 min; held closed');
  return { rig, until };
}

test('override: held closed while credit runs out (action held), the trip follows when it ends', async (t) => {
  const { rig, until } = await heldClosedPastExhaustion(t);
  t.true(rig.eventsOf('relay-action-held', 'p1').length >= 1);
  t.is(rig.eventsOf('tripped').length, 0);
  await rig.run(HOUR + 2 * MIN);
  const tripped = rig.eventsOf('tripped', 'p1');
  t.is(tripped.length, 1, 'tripped once the override ended');
  t.true(tripped[0]!.ts >= until && tripped[0]!.ts <= until + MIN);
  t.false(rig.relayClosed(1));
  await assertLedgerReconciles(t, rig.credit.ledger);
});

test('override: held closed while credit runs out, and it ends while the gateway is down: the trip follows the restart', async (t) => {
  const { rig, until } = await heldClosedPastExhaustion(t);
  t.is(await supply(rig), 'disconnected', 'the rules tripped (held)');
  await rig.restart(2 * HOUR);
  await rig.run(2 * MIN);
  t.is(rig.eventsOf('tripped', 'p1').length, 1, 'tripped once, after the restart');
  t.false(rig.relayClosed(1), 'the override has ended: the relay follows the rules');
  await assertLedgerReconciles(t, rig.credit.ledger);
});

test('restart with the relay open and credit exhausted: no relay command at start, still open', async (t) => {
  const rig = await creditRig(t, { credit: credit('auto') });
  await rig.run(40 * MIN);
  t.false(rig.relayClosed(1));
  const writes = rig.relayWrites(1).coil.length;
  const audits = (await rig.credit.ledger.auditLog({ meter: 'p1' })).filter((a) => a.action.startsWith('relay-')).length;
  await rig.restart();
  await rig.run(10 * MIN);
  t.is(rig.relayWrites(1).coil.length, writes, 'no relay command from the restart');
  t.false(rig.relayClosed(1));
  t.is(await supply(rig), 'disconnected');
  t.is((await rig.credit.ledger.auditLog({ meter: 'p1' })).filter((a) => a.action.startsWith('relay-')).length, audits);
  await assertLedgerReconciles(t, rig.credit.ledger);
});

test('restart with credit restored but armed: still ready for reconnection, no command; the button still works', async (t) => {
  const rig = await creditRig(t, { credit: credit('armed') });
  await rig.run(40 * MIN);
  await rig.command(topUpCmd(rig, 'p1', 5000));
  t.is(await supply(rig), 'ready-for-reconnection');
  const writes = rig.relayWrites(1).coil.length;
  await rig.restart();
  await rig.run(10 * MIN);
  t.is(rig.relayWrites(1).coil.length, writes, 'no relay command from the restart');
  t.false(rig.relayClosed(1), 'not closed by the restart');
  t.is(await supply(rig), 'ready-for-reconnection');
  rig.meter(1).sync();
  t.true(rig.meter(1).firmware!.pressButton().ok);
  await rig.step(MIN);
  t.is(await supply(rig), 'connected');
  t.is(rig.relayWrites(1).coil.length, writes);
  await assertLedgerReconciles(t, rig.credit.ledger);
});
