/** backupThresholdWh and worstCasePricePerKwh: vectors, the floor guarantee, edge cases. */
import test from 'ava';
import type { PrepaidError } from '@prepaid-edge/protocols';
import { backupThresholdWh, worstCasePricePerKwh } from '../../src/adapters/relay/backup-threshold.js';

test('vectors', (t) => {
  const rows: Array<[currentWh: number, spendable: number, price: number, want: number, why: string]> = [
    [1_000_000, 10_000, 500, 1_020_000, '10 units at 0.5/kWh = 20 kWh'],
    [250_000, 100_000, 5283, 268_929, '10.0000 CNY at 0.5283 CNY/kWh (sub-unit 1/10000) = 18,928.6 Wh, rounded up'],
    [250_000, 1, 1001, 250_001, 'less than one Wh of credit: the next Wh uses it up'],
    [250_000, 0, 500, 250_000, 'no credit: trip now'],
    [250_000, -300, 500, 250_000, 'debt: trip now'],
    [0, 0, 500, 1, '0 would disable the threshold: 1 instead'],
    [250_000, 5000, 0, 0, 'free energy: no backup disconnect'],
    [9_000_000_000_000_000, 2 ** 52, 1, Number.MAX_SAFE_INTEGER, 'clamped to what a u64 register holds exactly here'],
  ];
  for (const [cur, sp, price, want, why] of rows) t.is(backupThresholdWh(cur, sp, price), want, why);
});

test('ceiling: the worst-case cost at the threshold uses the credit up, one Wh less does not', (t) => {
  let seed = 7;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  for (let i = 0; i < 2000; i++) {
    const cur = rnd(10_000_000);
    const spendable = 1 + rnd(5_000_000);
    const price = 1 + rnd(20_000);
    const wh = backupThresholdWh(cur, spendable, price) - cur;
    t.true(wh * price >= spendable * 1000, `cost of ${wh} Wh at ${price}/kWh >= ${spendable}`);
    t.true((wh - 1) * price < spendable * 1000, `cost of ${wh - 1} Wh is below ${spendable}`);
  }
});

test('bad inputs name the argument', (t) => {
  const cases: Array<[() => number, string]> = [
    [() => backupThresholdWh(1.5, 10, 10), 'currentWh'],
    [() => backupThresholdWh(-1, 10, 10), 'currentWh'],
    [() => backupThresholdWh(0, 0.5, 10), 'spendable'],
    [() => backupThresholdWh(0, 10, -3), 'worstPricePerKwh'],
    [() => backupThresholdWh(0, 10, Number.NaN), 'worstPricePerKwh'],
  ];
  for (const [fn, path] of cases) {
    const e = t.throws(fn) as PrepaidError;
    t.is(e.code, 'E_VALUE_RANGE');
    t.is(e.context.path, path);
  }
});

test('worst-case price: dearest period plus the largest tier adder', (t) => {
  const periods = [
    { id: 'valley', pricePerKwh: 300 },
    { id: 'flat', pricePerKwh: 500 },
    { id: 'peak', pricePerKwh: 800 },
  ];
  t.is(worstCasePricePerKwh({ periods }), 800);
  t.is(worstCasePricePerKwh({ periods, tiers: [{ fromKwh: 0, adderPerKwh: 0 }, { fromKwh: 200, adderPerKwh: 50 }, { fromKwh: 400, adderPerKwh: 120 }] }), 920);
  t.is(worstCasePricePerKwh({ periods: [] }), 0);
});
