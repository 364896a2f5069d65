/**
 * Signed commands arriving out of order, a tariff change with an activation time (kept across a
 * gateway restart), and STS tokens on an energy-credit account (the public test-vector tokens).
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { allEntries, assertLedgerReconciles, creditRig, type Rig } from './rig.js';
import { KEYS, signed, topUpCmd } from './signer.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const FLAT = { id: 'flat', creditUnit: 'currency', currency: 'EUR', subunitsPerUnit: 1000, periods: [{ id: 'flat', pricePerKwh: 300 }], tou: [], defaultPeriod: 'flat', standingChargePerDay: 0 };
const DEAR = { ...FLAT, id: 'dear', periods: [{ id: 'flat', pricePerKwh: 600 }] };
const POLICY = { id: 'p', lowCreditThresholds: [1500, 600], emergencyCredit: null, friendly: { windows: [], holidays: [] }, disconnectNoticeMs: 0, maxDebt: 0, reconnect: { mode: 'auto', threshold: 100 } };

function credit(over: Record<string, unknown> = {}) {
  return { tariffs: { flat: FLAT }, policies: { p: POLICY }, classes: { residential: { tariff: 'flat', policy: 'p' } }, accounts: [{ meter: 'p1', customer: 'C-1', class: 'residential', openingBalance: 100_000 }], keys: KEYS, ...over };
}

interface Charge {
  from: number;
  to: number;
  wh: number;
  amount: number;
}

/** Every consumption entry: the interval and energy it covers (its cause) and what it charged. */
async function consumption(rig: Rig): Promise<Charge[]> {
  return (await allEntries(rig.credit.ledger, 'p1'))
    .filter((e) => e.kind === 'consumption')
    .map((e) => ({ from: e.cause.from as number, to: e.cause.to as number, wh: (e.cause.toWh as number) - (e.cause.fromWh as number), amount: -e.amount }));
}

test('a tariff command applies from its activation time on, survives a restart, and an older one is refused as stale', async (t) => {
  const rig = await creditRig(t, { credit: credit() });
  await rig.poll();
  const at = rig.clock.now() + HOUR + 30_000;
  const cmd = signed(rig, { type: 'tariff', customerClass: 'residential', tariff: DEAR, activeFrom: at });
  t.is((await rig.command(cmd)).status, 'applied');
  await rig.run(2 * HOUR);
  const charged = await consumption(rig);
  const whole = (pred: (e: Charge) => boolean) => charged.filter(pred).reduce((a, e) => ({ wh: a.wh + e.wh, amount: a.amount + e.amount }), { wh: 0, amount: 0 });
  const before = whole((e) => e.to <= at);
  const after = whole((e) => e.from >= at);
  t.true(before.wh > 1500 && Math.abs(before.amount - before.wh * 0.3) <= 1, `0.3 per Wh before activeFrom (${JSON.stringify(before)})`);
  t.true(after.wh > 1500 && Math.abs(after.amount - after.wh * 0.6) <= 1, `0.6 per Wh from activeFrom on (${JSON.stringify(after)})`);
  // 2 kW: 1 h 00 min 30 s at the old price, 59 min 30 s at the new one: 2017 × 0.3 + 1983 × 0.6.
  const total = charged.reduce((a, e) => a + e.amount, 0);
  t.true(Math.abs(total - (2017 * 0.3 + 1983 * 0.6)) <= 1.5, `total ${total}`);

  // An older activeFrom than the version in force: stale, changes nothing.
  const stale = await rig.command(signed(rig, { type: 'tariff', customerClass: 'residential', tariff: { ...FLAT, id: 'old' }, activeFrom: at - HOUR }));
  t.is(stale.status, 'rejected');
  t.is((stale as { reason: string }).reason, 'E_COMMAND_EXPIRED');
  t.regex((stale as { message: string }).message, /stale/);

  await rig.restart();
  const mark = rig.clock.now();
  await rig.run(HOUR);
  const later = (await consumption(rig)).filter((e) => e.from >= mark);
  const laterWh = later.reduce((a, e) => a + e.wh, 0);
  t.true(laterWh > 1500);
  t.true(Math.abs(later.reduce((a, e) => a + e.amount, 0) - laterWh * 0.6) <= 1, 'after the restart the commanded tariff still applies');
  t.deepEqual(rig.credit.engine.tariffFor('p1').map((v) => v.tariff.id), ['flat', 'dear']);
  t.is((await rig.command(cmd)).status, 'duplicate', 'and the command is remembered across the restart');
  await assertLedgerReconciles(t, rig.credit.ledger);
});

test('top-ups delivered in the opposite order to their issue are both applied once and add up', async (t) => {
  const rig = await creditRig(t, { credit: credit() });
  await rig.poll();
  const first = topUpCmd(rig, 'p1', 1234);
  rig.clock.advance(MIN);
  const second = topUpCmd(rig, 'p1', 4321);
  const before = (await rig.credit.ledger.account('p1'))!.balance;
  t.is((await rig.command(second)).status, 'applied');
  t.is((await rig.command(first)).status, 'applied', 'an earlier-issued top-up arriving late is still money paid');
  t.is((await rig.command(first)).status, 'duplicate');
  t.is((await rig.command(second)).status, 'duplicate');
  t.is((await rig.credit.ledger.account('p1'))!.balance, before + 1234 + 4321);
  const topups = (await allEntries(rig.credit.ledger, 'p1')).filter((e) => e.kind === 'topup');
  t.deepEqual(topups.map((e) => e.amount), [4321, 1234]);
  await assertLedgerReconciles(t, rig.credit.ledger);
});

interface Vector {
  meter_pan: string;
  decoder_key_hex: string;
  token_class: number;
  token_subclass: number;
  amount_units: number;
  token: string;
}
const VECTORS = JSON.parse(readFileSync(new URL('../../../../../protocols/test/tokens/sts/fixtures/sts_vectors.json', import.meta.url), 'utf8')) as { dkga02_ea07: { tokens: Vector[] } };

test('STS tokens (public test vectors) on an energy account: credited once in Wh, a replayed token refused', async (t) => {
  const electricity = VECTORS.dkga02_ea07.tokens.filter((v) => v.meter_pan === '600727000000000009' && v.token_class === 0 && v.token_subclass === 0);
  t.deepEqual(electricity.map((v) => v.amount_units), [0.1, 1]);
  const energy = JSON.parse(readFileSync(new URL('../../../../examples/tariffs/energy.json', import.meta.url), 'utf8')) as Record<string, unknown>;
  const rig = await creditRig(t, {
    credit: credit({
      tariffs: { energy },
      policies: { p: { ...POLICY, lowCreditThresholds: [500, 200] } },
      classes: { residential: { tariff: 'energy', policy: 'p' } },
      accounts: [{ meter: 'p1', customer: 'C-1', class: 'residential', openingBalance: 5000, sts: { decoderKey: electricity[0]!.decoder_key_hex, baseDate: 1993 } }],
    }),
  });
  await rig.poll();
  const balance = async () => (await rig.credit.ledger.account('p1'))!.balance;
  const b0 = await balance();
  const tok = (v: Vector) => signed(rig, { type: 'token', meter: 'p1', scheme: 'sts', token: v.token });

  const c1 = tok(electricity[0]!);
  const r1 = await rig.command(c1);
  t.is(r1.status, 'applied');
  t.is(await balance(), b0 + 100, '0.1 kWh = 100 Wh');
  t.is((await rig.command(tok(electricity[1]!))).status, 'applied');
  t.is(await balance(), b0 + 1100, '+1 kWh');

  const replay = await rig.command(tok(electricity[0]!));
  t.is(replay.status, 'rejected', 'the same token in a new command');
  t.is((replay as { reason: string }).reason, 'E_TOKEN_USED');
  t.is((await rig.command(c1)).status, 'duplicate', 'the same command again');
  t.is(await balance(), b0 + 1100);
  await rig.restart();
  t.is(((await rig.command(tok(electricity[1]!))) as { reason?: string }).reason, 'E_TOKEN_USED', 'token memory survives a restart');
  t.deepEqual((await allEntries(rig.credit.ledger, 'p1')).filter((e) => e.kind === 'topup').map((e) => e.amount), [100, 1000]);
  await assertLedgerReconciles(t, rig.credit.ledger);
});
