/**
 * Emergency credit on real parts: offered when credit is low, taken on the customer's request (a
 * signed 'emergency-credit' command, or the button reported to the gateway) or automatically at zero
 * when the policy needs no button; it keeps the supply on until it too is used, and the next top-ups
 * repay it before anything counts as credit.
 */
import test from 'ava';
import { assertLedgerReconciles, creditRig, type Rig } from './rig.js';
import { KEYS, signed, topUpCmd } from './signer.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const FLAT = { id: 'flat', creditUnit: 'currency', currency: 'EUR', subunitsPerUnit: 1000, periods: [{ id: 'flat', pricePerKwh: 300 }], tou: [], defaultPeriod: 'flat', standingChargePerDay: 0 };

function credit(requiresButton: boolean) {
  return {
    tariffs: { flat: FLAT },
    policies: {
      ec: {
        id: 'ec',
        lowCreditThresholds: [1500, 600],
        emergencyCredit: { amount: 1000, requiresButton },
        friendly: { windows: [], holidays: [] },
        disconnectNoticeMs: 0,
        maxDebt: 0,
        reconnect: { mode: 'auto', threshold: 100 },
      },
    },
    classes: { residential: { tariff: 'flat', policy: 'ec' } },
    // 3000 milli-EUR at 0.3 per Wh: 10 kWh, 5 h at 2 kW.
    accounts: [{ meter: 'p1', customer: 'C-1', class: 'residential', openingBalance: 3000 }],
    keys: KEYS,
  };
}

const kinds = async (rig: Rig) => (await rig.credit.ledger.entries('p1')).map((e) => e.kind);
const account = async (rig: Rig) => (await rig.credit.ledger.account('p1'))!;

test('with button: offered when low, taken on request, supply lasts until it is used, then repaid from the next top-up', async (t) => {
  const rig = await creditRig(t, { credit: credit(true), watts: 2000 });
  await rig.poll();
  const t0 = rig.readings[0]!.ts;
  await rig.run(4 * HOUR + 30 * MIN);
  t.is(rig.eventsOf('emergency-credit-offered', 'p1').length, 1, 'offered once the balance is below the lowest threshold');
  t.false((await kinds(rig)).includes('emergency-credit-taken'), 'not taken without a request');

  const res = await rig.command(signed(rig, { type: 'emergency-credit', meter: 'p1' }));
  t.is(res.status, 'applied');
  const taken = (await rig.credit.ledger.entries('p1')).filter((e) => e.kind === 'emergency-credit-taken');
  t.deepEqual(taken.map((e) => e.amount), [1000]);
  t.like((await account(rig)).state.emergency, { inUse: true, outstanding: 1000 });
  // A second request while one is outstanding is refused.
  await rig.command(signed(rig, { type: 'emergency-credit', meter: 'p1' }));
  t.is((rig.eventsOf('emergency-credit-refused', 'p1')[0]?.data as { reason?: string } | undefined)?.reason, 'in-use');

  // Own credit is gone at 5 h; the 1000 of emergency credit lasts another 3333 Wh = 1 h 40 min.
  await rig.run(40 * MIN);
  t.true(rig.relayClosed(1), 'supplied past the point where own credit ran out');
  t.is(rig.eventsOf('tripped').length, 0);
  await rig.run(95 * MIN);
  const tripped = rig.eventsOf('tripped', 'p1');
  t.is(tripped.length, 1);
  // 4000 milli-EUR in all = 13,333 1/3 Wh = 6 h 40 min at 2 kW; the trip is the first poll after.
  const emergencyOut = t0 + 6 * HOUR + 40 * MIN;
  t.true(tripped[0]!.ts >= emergencyOut && tripped[0]!.ts <= emergencyOut + MIN + 1000, `trip when emergency credit is used (${(tripped[0]!.ts - emergencyOut) / 1000} s)`);
  t.false(rig.relayClosed(1));

  const before = (await account(rig)).balance;
  const top = await rig.command(topUpCmd(rig, 'p1', 5000));
  t.is(top.status, 'applied');
  const after = await account(rig);
  t.is(after.balance, before + 5000 - 1000, 'the top-up repays the emergency credit first');
  t.like(after.state.emergency, { inUse: false, outstanding: 0 });
  t.deepEqual((await rig.credit.ledger.entries('p1')).filter((e) => e.kind === 'emergency-credit-repaid').map((e) => e.amount), [-1000]);
  t.true(rig.relayClosed(1), 'reconnected (auto) once in credit');
  await assertLedgerReconciles(t, rig.credit.ledger);
});

test("the customer's button after a trip takes emergency credit and restores supply", async (t) => {
  const rig = await creditRig(t, { credit: credit(true), watts: 2000 });
  await rig.run(5 * HOUR + 5 * MIN);
  t.false(rig.relayClosed(1), 'tripped at zero: the policy needs the button');
  await rig.credit.engine.buttonPressed('p1');
  await rig.poll();
  t.deepEqual((await rig.credit.ledger.entries('p1')).filter((e) => e.kind === 'emergency-credit-taken').map((e) => e.amount), [1000]);
  t.true(rig.relayClosed(1), 'emergency credit reconnects');
  t.is(rig.eventsOf('relay-closed', 'p1').length, 1);
  await assertLedgerReconciles(t, rig.credit.ledger);
});

test('without button: taken automatically at zero, no trip until it is used, repaid across two top-ups', async (t) => {
  const rig = await creditRig(t, { credit: credit(false), watts: 2000 });
  await rig.poll();
  await rig.run(5 * HOUR + 10 * MIN);
  t.true(rig.relayClosed(1), 'no trip at zero: emergency credit was taken instead');
  t.is(rig.eventsOf('tripped').length, 0);
  const taken = (await rig.credit.ledger.entries('p1')).filter((e) => e.kind === 'emergency-credit-taken');
  t.is(taken.length, 1);
  t.true(taken[0]!.ts >= rig.readings[0]!.ts + 5 * HOUR && taken[0]!.ts <= rig.readings[0]!.ts + 5 * HOUR + MIN, 'taken on the reading that exhausted credit');
  await rig.run(100 * MIN);
  t.is(rig.eventsOf('tripped', 'p1').length, 1, 'trips once the emergency credit is used too');
  t.false(rig.relayClosed(1));

  // 500 repays half: the balance does not move, nothing reconnects, 500 stays outstanding.
  const before = (await account(rig)).balance;
  await rig.command(topUpCmd(rig, 'p1', 500));
  let a = await account(rig);
  t.is(a.balance, before);
  t.like(a.state.emergency, { inUse: true, outstanding: 500 });
  t.false(rig.relayClosed(1));
  await rig.command(topUpCmd(rig, 'p1', 3000));
  a = await account(rig);
  t.is(a.balance, before + 3000 - 500);
  t.like(a.state.emergency, { inUse: false, outstanding: 0 });
  t.deepEqual((await rig.credit.ledger.entries('p1')).filter((e) => e.kind === 'emergency-credit-repaid').map((e) => e.amount), [-500, -500]);
  t.true(rig.relayClosed(1));
  await assertLedgerReconciles(t, rig.credit.ledger);
});
