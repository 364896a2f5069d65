/**
 * The relay after a trip, on the simulator's firmware meters: reconnection in both modes (auto: the
 * gateway closes it; armed: the gateway arms it and only the customer's button on the meter closes
 * it, which the gateway learns from the next reading), a relay that does not move (one alarm, no
 * storm of retries), and consumption with the relay open (bypass tamper).
 */
import test from 'ava';
import { assertLedgerReconciles, creditRig, type Rig } from './rig.js';
import { KEYS, topUpCmd } from './signer.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const FLAT = { id: 'flat', creditUnit: 'currency', currency: 'EUR', subunitsPerUnit: 1000, periods: [{ id: 'flat', pricePerKwh: 300 }], tou: [], defaultPeriod: 'flat', standingChargePerDay: 0 };

function credit(over: Record<string, unknown> = {}) {
  return {
    tariffs: { flat: FLAT },
    policies: {
      p: {
        id: 'p',
        lowCreditThresholds: [1500, 600],
        emergencyCredit: null,
        friendly: { windows: [], holidays: [] },
        disconnectNoticeMs: 0,
        maxDebt: 0,
        reconnect: { mode: 'auto', threshold: 1000 },
        ...over,
      },
    },
    classes: { residential: { tariff: 'flat', policy: 'p' } },
    // 300 milli-EUR: 1 kWh, 30 min at 2 kW.
    accounts: [{ meter: 'p1', customer: 'C-1', class: 'residential', openingBalance: 300 }],
    keys: KEYS,
  };
}

const supply = async (rig: Rig) => (await rig.credit.ledger.account('p1'))!.state.supply;

test('auto reconnect: below the reconnect threshold nothing moves; at it the gateway closes the relay', async (t) => {
  const rig = await creditRig(t, { credit: credit() });
  await rig.run(40 * MIN);
  t.false(rig.relayClosed(1));
  t.deepEqual(rig.relayWrites(1).coil, [false], 'one trip command');
  const debt = -(await rig.credit.ledger.account('p1'))!.balance;
  // Back in credit but below the threshold of 1000: stays off.
  await rig.command(topUpCmd(rig, 'p1', debt + 500));
  await rig.run(5 * MIN);
  t.false(rig.relayClosed(1), 'below the reconnect threshold');
  t.is(await supply(rig), 'disconnected');
  await rig.command(topUpCmd(rig, 'p1', 600));
  t.true(rig.relayClosed(1), 'closed by the gateway');
  t.is(await supply(rig), 'connected');
  t.deepEqual(rig.relayWrites(1).coil, [false, true]);
  t.is(rig.eventsOf('reconnected', 'p1').length, 1);
  await assertLedgerReconciles(t, rig.credit.ledger);
});

test("armed reconnect: the top-up arms the meter, the customer's button closes it, the gateway sees it in the next reading", async (t) => {
  const rig = await creditRig(t, { credit: credit({ reconnect: { mode: 'armed', threshold: 1000 } }) });
  await rig.run(40 * MIN);
  t.false(rig.relayClosed(1));
  await rig.command(topUpCmd(rig, 'p1', 5000));
  t.false(rig.relayClosed(1), 'armed, not closed: appliances left on must not start by themselves');
  t.is(await supply(rig), 'ready-for-reconnection');
  t.is(rig.eventsOf('relay-armed', 'p1').length, 1);
  t.is(rig.meter(1).firmware!.core.state.relay.state, 2, 'the meter itself is ready for reconnection');
  await rig.run(10 * MIN);
  t.false(rig.relayClosed(1), 'stays open until the button');

  rig.meter(1).sync();
  t.true(rig.meter(1).firmware!.pressButton().ok, 'the button is accepted by the meter');
  t.true(rig.relayClosed(1), 'the meter closed its relay');
  t.is(await supply(rig), 'ready-for-reconnection', 'the gateway does not know yet');
  await rig.step(MIN);
  t.is(await supply(rig), 'connected', 'learnt from the reading');
  t.is(rig.eventsOf('button-reconnect', 'p1').length, 1);
  t.like(rig.eventsOf('reconnected', 'p1')[0]?.data, { by: 'readback' });
  t.deepEqual(rig.relayWrites(1).coil, [false, true], 'trip and arm only: the gateway never closed it');
  await rig.run(10 * MIN);
  t.true(rig.relayClosed(1));
  t.is(rig.eventsOf('relay-opened-by-meter').length, 0);
  await assertLedgerReconciles(t, rig.credit.ledger);
});

test('a relay that does not move: one relay-mismatch alarm, then slow retries (doubling from 1 min) for as long as it lasts, and cleared when it moves', async (t) => {
  // A friendly window that never applies (holidays, none listed) disables the meter's own backup
  // threshold (spendable() is null), so only the gateway's command could open this relay.
  const rig = await creditRig(t, { credit: credit({ friendly: { windows: [{ days: ['holiday'], from: '00:00', to: '00:00' }], holidays: [] } }) });
  await rig.poll();
  rig.jamRelay(1, true);
  await rig.run(40 * MIN);
  t.true(rig.relayClosed(1), 'the contact stayed closed');
  const mismatch = rig.eventsOf('relay-mismatch', 'p1');
  t.is(mismatch.length, 1, 'one alarm');
  t.like(mismatch[0]!.data, { target: 'disconnected', code: 'E_RELAY_MISMATCH', got: 'connected', retryInMs: 60_000 });
  t.is(rig.eventsOf('tripped').length, 0, 'never reported as tripped');
  await rig.run(60 * MIN);
  const failed = await rig.credit.ledger.auditLog({ meter: 'p1', action: 'relay-disconnected' });
  t.true(failed.length >= 4, `retried while it failed (${failed.length} attempts)`);
  t.true(failed.every((a) => (a.detail as { result?: string }).result === 'failed'));
  t.like(failed[0]!.detail, { result: 'failed', code: 'E_RELAY_MISMATCH', retryInMs: 60_000 });
  // Each wait at least the one before and doubling up to the cap: never a storm on the bus.
  const gaps = failed.slice(1).map((a, i) => a.ts - failed[i]!.ts);
  t.true(gaps[0]! >= 60_000, `first retry after a minute (${gaps[0]} ms)`);
  for (let i = 1; i < gaps.length; i++) t.true(gaps[i]! >= 2 * gaps[i - 1]! - 5_000 || gaps[i]! >= 30 * MIN - 5_000, `wait ${i} doubles: ${gaps.join(', ')}`);
  t.is(rig.relayWrites(1).coil.length, 3 * failed.length, 'three driver attempts per retry, nothing in between');
  t.is(rig.eventsOf('relay-mismatch').length, 1, 'no event per retry');
  rig.jamRelay(1, false);
  await rig.run(35 * MIN);
  t.false(rig.relayClosed(1), 'opened at the next retry once the contact moves');
  const cleared = rig.eventsOf('relay-mismatch-cleared', 'p1');
  t.is(cleared.length, 1);
  t.like(cleared[0]!.data, { target: 'disconnected' });
  t.is(rig.eventsOf('tripped', 'p1').length, 1);
  const last = (await rig.credit.ledger.auditLog({ meter: 'p1', action: 'relay-disconnected' })).at(-1)!;
  t.like(last.detail, { result: 'verified', readback: 'disconnected' });
  const writes = rig.relayWrites(1).coil.length;
  await rig.run(60 * MIN);
  t.is(rig.relayWrites(1).coil.length, writes, 'no retries once verified');
  await assertLedgerReconciles(t, rig.credit.ledger);
});

test('a latched tamper survives a gateway restart: kept in the ledger, not raised again while the bypass goes on', async (t) => {
  const rig = await creditRig(t, { credit: credit() });
  await rig.run(40 * MIN);
  t.false(rig.relayClosed(1));
  rig.sim.addFault(1, { type: 'bypass', from: rig.clock.now() - Date.UTC(2026, 0, 5, 12) });
  await rig.run(30 * MIN);
  t.is(rig.eventsOf('tamper', 'p1').length, 1);
  const latched = await rig.credit.ledger.auditLog({ meter: 'p1', action: 'tamper-latched' });
  t.is(latched.length, 1, 'the latch is saved with an audit row');
  t.like(latched[0]!.detail, { kinds: ['bypass'] });
  await rig.restart(5 * MIN);
  await rig.run(30 * MIN);
  t.is(rig.eventsOf('tamper', 'p1').length, 1, 'the restarted gateway knew the latch: no second alarm');
  t.is((await rig.credit.ledger.auditLog({ meter: 'p1', action: 'tamper-latched' })).length, 1);
  await assertLedgerReconciles(t, rig.credit.ledger);
});

test('consumption with the relay open is a bypass tamper, raised once', async (t) => {
  const rig = await creditRig(t, { credit: credit() });
  await rig.run(40 * MIN);
  t.false(rig.relayClosed(1));
  t.is(rig.eventsOf('tamper').length, 0, 'no tamper while the open relay stops consumption');
  rig.sim.addFault(1, { type: 'bypass', from: rig.clock.now() - Date.UTC(2026, 0, 5, 12) });
  await rig.run(30 * MIN);
  const tamper = rig.eventsOf('tamper', 'p1');
  t.is(tamper.length, 1, 'latched: one event');
  t.like(tamper[0]!.data, { kind: 'bypass' });
  const audit = await rig.credit.ledger.auditLog({ meter: 'p1', action: 'tamper' });
  t.is(audit.length, 1);
  t.is(audit[0]!.cause, 'bypass');
  t.deepEqual(rig.relayWrites(1).coil, [false], 'the relay is not commanded again');
  t.is(await supply(rig), 'disconnected');
  await assertLedgerReconciles(t, rig.credit.ledger);
});
