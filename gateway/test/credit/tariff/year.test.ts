/**
 * Year reconciliation: one simulated year of 1-minute readings (525,600) of the example ToU + tiered
 * tariff, charged reading by reading, must total exactly the per-Wh reference (every Wh priced at its
 * instant), to the sub-unit, in a zone without DST and in one with DST.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import type { Tariff, TariffVersion } from '../../../src/core/credit/contracts.js';
import { baselineCursor, chargeConsumption, parseTariff } from '../../../src/core/tariff/index.js';
import { seeded } from '@prepaid-edge/testkit/seeded';
import { ReferencePricer } from './reference.js';

const example = JSON.parse(readFileSync(new URL('../../../../examples/tariffs/tou-tiered.json', import.meta.url), 'utf8')) as Tariff;
const START = Date.UTC(2023, 2, 1); // 2023-03-01: the year covers both 2023 DST changes and the 2024 holidays
const READINGS = 525_600;
// A new tariff version mid-year, mid-minute (not on a reading), with other prices.
const CHANGE = START + 200 * 86_400_000 + 12_345;
const versions: TariffVersion[] = [
  { activeFrom: START - 86_400_000, tariff: parseTariff(example) },
  {
    activeFrom: CHANGE,
    tariff: parseTariff({ ...example, id: 'v2', periods: example.periods.map((p) => ({ ...p, pricePerKwh: p.pricePerKwh + 411 })), billingDay: 1 }),
  },
];

/** A household: ~250 W base, an evening bump, noise, some idle minutes; jittered reading times. */
function* load(seed: number): Generator<{ ts: number; wh: number }> {
  const rnd = seeded(seed);
  let wh = 12_345_678;
  for (let i = 1; i <= READINGS; i++) {
    const hour = ((i / 60) % 24 + 24) % 24;
    const watts = 250 + (hour > 17 && hour < 23 ? 900 : 0) + rnd() * 700;
    if (rnd() > 0.05) wh += Math.floor(watts / 60 + rnd());
    yield { ts: START + i * 60_000 + Math.floor(rnd() * 20_000), wh };
  }
}

for (const [zone, seed] of [
  ['Asia/Shanghai', 1],
  ['America/New_York', 2],
] as const) {
  test(`year of 1-minute readings in ${zone}: charged total == exact per-Wh integral`, (t) => {
    let cursor = baselineCursor({ ts: START, wh: 12_345_678 }, zone, versions);
    let charged = 0;
    let lineWh = 0;
    const tiersSeen = new Set<number>();
    const periodsSeen = new Set<string>();
    const t0 = performance.now();
    for (const r of load(seed)) {
      const res = chargeConsumption(versions, zone, cursor, r);
      charged += res.amount;
      for (const l of res.lines) {
        lineWh += l.wh;
        tiersSeen.add(l.tier);
        periodsSeen.add(l.period);
      }
      cursor = res.cursor;
    }
    const engineMs = performance.now() - t0;

    const t1 = performance.now();
    const ref = new ReferencePricer(versions, zone, START, 12_345_678);
    for (const r of load(seed)) ref.read(r.ts, r.wh);
    const refMs = performance.now() - t1;

    t.log(`${zone}: ${READINGS} readings, ${ref.totalWh} Wh, charged ${charged} sub-units; engine ${engineMs.toFixed(0)} ms (${((engineMs * 1000) / READINGS).toFixed(2)} µs/reading), reference ${refMs.toFixed(0)} ms`);
    t.is(lineWh, ref.totalWh);
    t.is(cursor.lastWh - 12_345_678, ref.totalWh);
    t.is(charged, Math.floor(ref.totalMilli / 1000));
    t.is(cursor.remainderMilli, ref.totalMilli % 1000);
    // The year exercised what it should: all three tiers, both periods.
    t.deepEqual([...tiersSeen].sort(), [0, 1, 2]);
    t.deepEqual([...periodsSeen].sort(), ['peak', 'valley']);
  });
}
