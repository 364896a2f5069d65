/**
 * An STS token typed on the meter's keypad: the firmware accepts it (its own TID memory) and raises
 * its backup threshold; the gateway sees the higher threshold in the next reading, books the token
 * once in the ledger, and never writes the meter's credit back down.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { allEntries, assertLedgerReconciles, creditRig } from './rig.js';
import { KEYS } from './signer.js';

interface Vector {
  meter_pan: string;
  token_class: number;
  token_subclass: number;
  amount_units: number;
  token: string;
  decoder_key_hex: string;
}
const VECTORS = JSON.parse(readFileSync(new URL('../../../../../protocols/test/tokens/sts/fixtures/sts_vectors.json', import.meta.url), 'utf8')) as { dkga02_ea07: { tokens: Vector[] } };
const POLICY = { id: 'p', lowCreditThresholds: [500, 200], emergencyCredit: null, friendly: { windows: [], holidays: [] }, disconnectNoticeMs: 0, maxDebt: 0, reconnect: { mode: 'auto', threshold: 0 } };

test('a token typed on the keypad of an energy account is booked once and the meter keeps its credit', async (t) => {
  const oneKwh = VECTORS.dkga02_ea07.tokens.find((v) => v.meter_pan === '600727000000000009' && v.token_class === 0 && v.token_subclass === 0 && v.amount_units === 1)!;
  const energy = JSON.parse(readFileSync(new URL('../../../../examples/tariffs/energy.json', import.meta.url), 'utf8')) as Record<string, unknown>;
  const rig = await creditRig(t, {
    credit: {
      tariffs: { energy },
      policies: { p: POLICY },
      classes: { residential: { tariff: 'energy', policy: 'p' } },
      accounts: [{ meter: 'p1', customer: 'C-1', class: 'residential', openingBalance: 3000 }],
      keys: KEYS,
      chargeEveryMs: 60_000,
    },
    watts: 600,
  });
  await rig.run(3 * 60_000);
  const before = (await rig.credit.ledger.account('p1'))!.balance;
  // The customer types the 1 kWh vector token on the meter (the firmware knows this decoder key).
  const fw = rig.meter(1).firmware as unknown as { enterToken(d: string): { ok: boolean; wh?: number } };
  const out = fw.enterToken(oneKwh.token);
  t.true(out.ok, 'the meter accepts the token');
  await rig.run(3 * 60_000);
  const topups = (await allEntries(rig.credit.ledger, 'p1')).filter((e) => e.kind === 'topup');
  t.deepEqual(topups.map((e) => e.amount), [1000], 'booked once, 1 kWh = 1000 Wh');
  t.is((topups[0]!.cause as { source?: string }).source, 'keypad');
  const after = (await rig.credit.ledger.account('p1'))!.balance;
  t.true(after > before + 1000 - 3 * 60 - 20 && after <= before + 1000, `balance rose by the token less 3 minutes of use (${before} -> ${after})`);
  // Typing it again is refused by the meter, and nothing more is booked.
  t.false(fw.enterToken(oneKwh.token).ok);
  await rig.run(3 * 60_000);
  t.is((await allEntries(rig.credit.ledger, 'p1')).filter((e) => e.kind === 'topup').length, 1);
  // The credit reaches the end: at 600 W the 3000 + 1000 Wh last about 6.7 h, not 5 h.
  await rig.run(5.5 * 3_600_000, 10 * 60_000);
  t.true(rig.relayClosed(1), 'still supplied after the opening credit alone would have run out');
  await assertLedgerReconciles(t, rig.credit.ledger);
});

test('a kWh token typed on the keypad of a currency account is booked once at the tariff in force', async (t) => {
  const oneKwh = VECTORS.dkga02_ea07.tokens.find((v) => v.meter_pan === '600727000000000009' && v.token_class === 0 && v.token_subclass === 0 && v.amount_units === 1)!;
  // 250 milli-EUR per kWh: 1 kWh is worth EUR 0.25.
  const flat = { id: 'flat', creditUnit: 'currency', currency: 'EUR', subunitsPerUnit: 1000, periods: [{ id: 'flat', pricePerKwh: 250 }], tou: [], defaultPeriod: 'flat', standingChargePerDay: 0 };
  const rig = await creditRig(t, {
    credit: {
      tariffs: { flat },
      policies: { p: POLICY },
      classes: { residential: { tariff: 'flat', policy: 'p' } },
      accounts: [{ meter: 'p1', customer: 'C-1', class: 'residential', openingBalance: 3000 }],
      keys: KEYS,
      chargeEveryMs: 60_000,
    },
    watts: 600,
  });
  await rig.run(3 * 60_000);
  const fw = rig.meter(1).firmware as unknown as { enterToken(d: string): { ok: boolean; wh?: number } };
  t.true(fw.enterToken(oneKwh.token).ok, 'the meter accepts the token');
  await rig.run(3 * 60_000);
  const topups = (await allEntries(rig.credit.ledger, 'p1')).filter((e) => e.kind === 'topup');
  t.deepEqual(topups.map((e) => e.amount), [250], 'booked once: 1 kWh at 250 milli-EUR');
  t.like(topups[0]!.cause, { source: 'keypad', wh: 1000, pricePerKwh: 250 });
  t.is(rig.eventsOf('keypad-token-unbooked').length, 0);
  await rig.run(3 * 60_000);
  t.is((await allEntries(rig.credit.ledger, 'p1')).filter((e) => e.kind === 'topup').length, 1, 'not again at later readings');
  await assertLedgerReconciles(t, rig.credit.ledger);
});
