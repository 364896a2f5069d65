/**
 * A prepaid meter that already holds credit when the gateway first meets it (sold before the
 * gateway came, or kept standalone): the credit is booked once, audited, before the gateway writes
 * its balance over the meter's; a restart does not book it again.
 */
import test from 'ava';
import { encodeRequest } from '@prepaid-edge/protocols';
import { allEntries, assertLedgerReconciles, creditRig, type FirmwareSimMeter } from './rig.js';
import { KEYS } from './signer.js';

const FLAT = { id: 'flat', creditUnit: 'currency', currency: 'EUR', subunitsPerUnit: 1000, periods: [{ id: 'flat', pricePerKwh: 300 }], tou: [], defaultPeriod: 'flat', standingChargePerDay: 0 };
const POLICY = { id: 'p', lowCreditThresholds: [1500, 600], emergencyCredit: null, friendly: { windows: [], holidays: [] }, disconnectNoticeMs: 0, maxDebt: 0, reconnect: { mode: 'auto', threshold: 1000 } };

/** The firmware's own credit settings (holding 0-14 as it keeps them). */
const settingsOf = (m: FirmwareSimMeter) => (m.firmware!.core.state as unknown as { settings: { creditBalance: number; creditDecimals: number } }).settings;

test('credit found on the meter at first sync is booked once (exactly its value at its decimals), then the meter shows the gateway balance', async (t) => {
  const rig = await creditRig(t, {
    watts: 0,
    credit: { tariffs: { flat: FLAT }, policies: { p: POLICY }, classes: { r: { tariff: 'flat', policy: 'p' } }, accounts: [{ meter: 'p1', customer: 'C-1', class: 'r', openingBalance: 2000 }], keys: KEYS },
    beforeStart: (sim) => {
      // The meter shows EUR 12.34 (2 decimals) of its own.
      const m = sim.meter(1) as unknown as FirmwareSimMeter;
      m.handlePdu(encodeRequest({ fc: 0x06, address: 14, value: 2 }));
      m.handlePdu(encodeRequest({ fc: 0x10, address: 0, values: [0, 1234] }));
    },
  });
  await rig.run(5 * 60_000);
  const adopted = (await allEntries(rig.credit.ledger, 'p1')).filter((e) => e.kind === 'topup');
  t.is(adopted.length, 1, 'booked once');
  t.is(adopted[0]!.amount, 12_340, 'EUR 12.34 in milli-EUR');
  t.like(adopted[0]!.cause, { source: 'meter (credit found at first sync)', meterCredit: 1234, creditDecimals: 2 });
  const audit = await rig.credit.ledger.auditLog({ meter: 'p1', action: 'topup' });
  t.is(audit.length, 1, 'audited');
  const balance = (await rig.credit.ledger.account('p1'))!.balance;
  t.is(balance, 2000 + 12_340);
  // The meter now shows the gateway's balance (3 decimals for a 1/1000 account), not its old credit alone.
  const s = settingsOf(rig.meter(1));
  t.deepEqual([s.creditBalance, s.creditDecimals], [balance, 3]);
  await rig.restart(60_000);
  await rig.run(5 * 60_000);
  t.is((await allEntries(rig.credit.ledger, 'p1')).filter((e) => e.kind === 'topup').length, 1, 'not booked again after a restart');
  await assertLedgerReconciles(t, rig.credit.ledger);
});

test('a meter with no credit of its own: nothing booked, written at once', async (t) => {
  const rig = await creditRig(t, {
    watts: 0,
    credit: { tariffs: { flat: FLAT }, policies: { p: POLICY }, classes: { r: { tariff: 'flat', policy: 'p' } }, accounts: [{ meter: 'p1', customer: 'C-1', class: 'r', openingBalance: 2000 }], keys: KEYS },
  });
  await rig.run(5 * 60_000);
  t.is((await allEntries(rig.credit.ledger, 'p1')).filter((e) => e.kind === 'topup').length, 0);
  t.is(settingsOf(rig.meter(1)).creditBalance, 2000);
});
