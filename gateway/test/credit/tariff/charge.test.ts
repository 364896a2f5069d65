import test from 'ava';
import { PrepaidError } from '@prepaid-edge/protocols';
import type { ChargeCursor, TariffVersion } from '../../../src/core/credit/contracts.js';
import { baselineCursor, chargeConsumption } from '../../../src/core/tariff/index.js';
import { Z, dst, dstGap, flat, flat500, flat800, only, season, tiered, tou } from './tariffs.js';

const cur = (lastTs: string, lastWh: number, month: string, monthWh = 0, remainderMilli = 0): ChargeCursor => ({
  lastTs: Z(lastTs),
  lastWh,
  month,
  monthWh,
  remainderMilli,
  standingDay: '2000-01-01',
});

/** [wh, period, tier, pricePerKwh, amount, from?, to?] */
type Line = [number, string, number, number, number, string?, string?];
interface Row {
  name: string;
  versions: TariffVersion[];
  zone: string;
  cursor: ChargeCursor;
  reading: { ts: string; wh: number };
  amount: number;
  remainderMilli: number;
  lines: Line[];
  month: string;
  monthWh: number;
}

const changeAt = Z('2024-06-01T00:00:30Z');
const rows: Row[] = [
  // 500 Wh × 300 = 150,000 milli → 150.
  { name: 'flat', versions: only(flat), zone: 'UTC', cursor: cur('2024-01-10T00:00Z', 1000, '2024-01'), reading: { ts: '2024-01-10T00:01Z', wh: 1500 }, amount: 150, remainderMilli: 0, lines: [[500, 'flat', 0, 300, 150]], month: '2024-01', monthWh: 500 },
  // 7 × 300 = 2,100 milli → 2 charged, 100 carried.
  { name: 'flat, fraction carried', versions: only(flat), zone: 'UTC', cursor: cur('2024-01-10T00:00Z', 1000, '2024-01'), reading: { ts: '2024-01-10T00:01Z', wh: 1007 }, amount: 2, remainderMilli: 100, lines: [[7, 'flat', 0, 300, 2]], month: '2024-01', monthWh: 7 },
  // carried 950 + 1 × 300 = 1,250 → 1 charged, 250 carried.
  { name: 'flat, carry completes a sub-unit', versions: only(flat), zone: 'UTC', cursor: cur('2024-01-10T00:00Z', 1000, '2024-01', 0, 950), reading: { ts: '2024-01-10T00:01Z', wh: 1001 }, amount: 1, remainderMilli: 250, lines: [[1, 'flat', 0, 300, 1]], month: '2024-01', monthWh: 1 },
  // no energy: nothing charged, remainder kept.
  { name: 'zero delta', versions: only(flat), zone: 'UTC', cursor: cur('2024-01-10T00:00Z', 1000, '2024-01', 3, 950), reading: { ts: '2024-01-10T00:01Z', wh: 1000 }, amount: 0, remainderMilli: 950, lines: [], month: '2024-01', monthWh: 3 },
  // Wed 07:50-08:10, 100 Wh: half before the 08:00 peak start. 50×500 + 50×900 = 70,000 → 70.
  { name: 'ToU split at 08:00', versions: only(tou), zone: 'UTC', cursor: cur('2024-01-10T07:50Z', 0, '2024-01'), reading: { ts: '2024-01-10T08:10Z', wh: 100 }, amount: 70, remainderMilli: 0, lines: [[50, 'flat', 0, 500, 25, '2024-01-10T07:50Z', '2024-01-10T08:00Z'], [50, 'peak', 0, 900, 45, '2024-01-10T08:00Z', '2024-01-10T08:10Z']], month: '2024-01', monthWh: 50 + 50 },
  // 07:59-08:02, 10 Wh: by 08:00 the counter has risen 10×60/180 = 3.33 → 3 Wh flat, 7 peak.
  // 3×500 = 1,500 → 1 (500 carried); 7×900 + 500 = 6,800 → 6 (800 carried).
  { name: 'ToU split, uneven', versions: only(tou), zone: 'UTC', cursor: cur('2024-01-10T07:59Z', 0, '2024-01'), reading: { ts: '2024-01-10T08:02Z', wh: 10 }, amount: 7, remainderMilli: 800, lines: [[3, 'flat', 0, 500, 1], [7, 'peak', 0, 900, 6]], month: '2024-01', monthWh: 10 },
  // 07:58-08:02, 4 Wh: Wh 2 is reached exactly at 08:00 and is priced just before it (flat).
  // 2×500 = 1,000 → 1; 2×900 = 1,800 → 1 (800 carried).
  { name: 'Wh reached exactly at a boundary', versions: only(tou), zone: 'UTC', cursor: cur('2024-01-10T07:58Z', 0, '2024-01'), reading: { ts: '2024-01-10T08:02Z', wh: 4 }, amount: 2, remainderMilli: 800, lines: [[2, 'flat', 0, 500, 1], [2, 'peak', 0, 900, 1]], month: '2024-01', monthWh: 4 },
  // Wed 22:00 → Thu 08:00, 1,000 Wh over 10 h: flat 1 h (100), valley 23-07 across midnight (800), flat 1 h (100).
  // 50,000 + 160,000 + 50,000 = 260,000 → 260. (Thu 08:00 is the peak start, not inside the interval.)
  { name: 'valley wraps past midnight', versions: only(tou), zone: 'UTC', cursor: cur('2024-01-10T22:00Z', 0, '2024-01'), reading: { ts: '2024-01-11T08:00Z', wh: 1000 }, amount: 260, remainderMilli: 0, lines: [[100, 'flat', 0, 500, 50], [800, 'valley', 0, 200, 160, '2024-01-10T23:00Z', '2024-01-11T07:00Z'], [100, 'flat', 0, 500, 50]], month: '2024-01', monthWh: 1000 },
  // 2024-05-01 (Wed) is a holiday: valley all day instead of peak. 100×200 = 20,000 → 20.
  { name: 'holiday day type', versions: only(tou), zone: 'UTC', cursor: cur('2024-05-01T08:00Z', 0, '2024-05'), reading: { ts: '2024-05-01T09:00Z', wh: 100 }, amount: 20, remainderMilli: 0, lines: [[100, 'valley', 0, 200, 20]], month: '2024-05', monthWh: 100 },
  // The next day is an ordinary Thursday: peak. 100×900 → 90.
  { name: 'weekday after the holiday', versions: only(tou), zone: 'UTC', cursor: cur('2024-05-02T08:00Z', 0, '2024-05'), reading: { ts: '2024-05-02T09:00Z', wh: 100 }, amount: 90, remainderMilli: 0, lines: [[100, 'peak', 0, 900, 90]], month: '2024-05', monthWh: 100 },
  // Saturday: the weekday-only peak does not apply. 100×500 → 50.
  { name: 'saturday day type', versions: only(tou), zone: 'UTC', cursor: cur('2024-05-04T08:00Z', 0, '2024-05'), reading: { ts: '2024-05-04T09:00Z', wh: 100 }, amount: 50, remainderMilli: 0, lines: [[100, 'flat', 0, 500, 50]], month: '2024-05', monthWh: 100 },
  // May 31 10:00 → June 1 14:00 (28 h, 100 Wh/h). May 31 10-14 is flat (no summer peak in May); the
  // billing month changes at June 1 00:00; June 1 10-14 is summer peak.
  // May: 14 h = 1,400 × 500 = 700,000 → 700; June 00-10: 1,000 × 500 → 500; peak 400 × 900 → 360. Total 1,560.
  { name: 'season change and billing month', versions: only(season), zone: 'UTC', cursor: cur('2024-05-31T10:00Z', 0, '2024-05', 5000), reading: { ts: '2024-06-01T14:00Z', wh: 2800 }, amount: 1560, remainderMilli: 0, lines: [[1400, 'flat', 0, 500, 700, '2024-05-31T10:00Z', '2024-06-01T00:00Z'], [1000, 'flat', 0, 500, 500], [400, 'peak', 0, 900, 360, '2024-06-01T10:00Z', '2024-06-01T14:00Z']], month: '2024-06', monthWh: 1400 },
  // 199,950 Wh used this month; 300 more: 50 in tier 0 at 5,283, 250 in tier 1 at 5,783.
  // 264,150 → 264 (150 carried); 1,445,750 + 150 = 1,445,900 → 1,445 (900 carried). Total 1,709.
  { name: 'tier crossing in one reading', versions: only(tiered), zone: 'Asia/Shanghai', cursor: cur('2024-05-01T02:00Z', 0, '2024-04', 199_950), reading: { ts: '2024-05-01T03:00Z', wh: 300 }, amount: 1709, remainderMilli: 900, lines: [[50, 'base', 0, 5283, 264], [250, 'base', 1, 5783, 1445]], month: '2024-04', monthWh: 200_250 },
  // Two thresholds in one reading: 100 in tier 0, 200,000 in tier 1, 100 in tier 2.
  // 528,300 → 528 (300); 1,156,600,000 + 300 → 1,156,600 (300); 828,300 + 300 = 828,600 → 828 (600).
  { name: 'two tier crossings', versions: only(tiered), zone: 'Asia/Shanghai', cursor: cur('2024-05-01T02:00Z', 0, '2024-04', 199_900), reading: { ts: '2024-05-01T03:00Z', wh: 200_200 }, amount: 1_157_956, remainderMilli: 600, lines: [[100, 'base', 0, 5283, 528], [200_000, 'base', 1, 5783, 1_156_600], [100, 'base', 2, 8283, 828]], month: '2024-04', monthWh: 400_100 },
  // billingDay 15, Shanghai (+8): Apr 14 23:00 → Apr 15 01:00 local, 200 Wh. The first hour (100 Wh) is
  // still billing month 2024-03 at 399,990 Wh: 10 in tier 1, 90 in tier 2; then 2024-04 starts at 0: 100 in tier 0.
  // 57,830 → 57 (830); 745,470 + 830 = 746,300 → 746 (300); 528,300 + 300 = 528,600 → 528 (600). Total 1,331.
  { name: 'billing month reset on the 15th', versions: only(tiered), zone: 'Asia/Shanghai', cursor: cur('2024-04-14T15:00Z', 0, '2024-03', 399_990), reading: { ts: '2024-04-14T17:00Z', wh: 200 }, amount: 1331, remainderMilli: 600, lines: [[10, 'base', 1, 5783, 57], [90, 'base', 2, 8283, 746, undefined, '2024-04-14T16:00Z'], [100, 'base', 0, 5283, 528, '2024-04-14T16:00Z', '2024-04-14T17:00Z']], month: '2024-04', monthWh: 100 },
  // No energy across the billing-month start: nothing charged; the month (and its count) moves on
  // only when a Wh is priced in the new one (see the next row), so the cursor keeps March's.
  { name: 'zero delta across billing month', versions: only(tiered), zone: 'Asia/Shanghai', cursor: cur('2024-04-14T15:00Z', 0, '2024-03', 5000), reading: { ts: '2024-04-14T17:00Z', wh: 0 }, amount: 0, remainderMilli: 0, lines: [], month: '2024-03', monthWh: 5000 },
  // ...and the first Wh after it is priced in April, from April's first tier.
  { name: 'first energy after an empty billing-month start', versions: only(tiered), zone: 'Asia/Shanghai', cursor: cur('2024-04-14T17:00Z', 0, '2024-03', 399_990), reading: { ts: '2024-04-14T18:00Z', wh: 100 }, amount: 528, remainderMilli: 300, lines: [[100, 'base', 0, 5283, 528, '2024-04-14T17:00Z', '2024-04-14T18:00Z']], month: '2024-04', monthWh: 100 },
  // A new tariff from 00:00:30 in a 1-minute reading of 7 Wh: floor(7 × 30/60) = 3 Wh at 500, 4 at 800.
  // 1,500 → 1 (500); 3,200 + 500 = 3,700 → 3 (700).
  { name: 'tariff change mid-interval', versions: [{ activeFrom: 0, tariff: flat500 }, { activeFrom: changeAt, tariff: flat800 }], zone: 'UTC', cursor: cur('2024-06-01T00:00Z', 0, '2024-06'), reading: { ts: '2024-06-01T00:01Z', wh: 7 }, amount: 4, remainderMilli: 700, lines: [[3, 'flat', 0, 500, 1, '2024-06-01T00:00Z', '2024-06-01T00:00:30Z'], [4, 'flat', 0, 800, 3, '2024-06-01T00:00:30Z', '2024-06-01T00:01Z']], month: '2024-06', monthWh: 7 },
  // New York falls back on 2024-11-03 at 06:00Z (02:00 EDT → 01:00 EST): local 01:30 happens twice, so
  // b runs 01:30 EDT-02:00 EDT (05:30-06:00Z), stops when the clock shows 01:00 again, restarts at 01:30 EST
  // (06:30Z) to 05:00 EST (10:00Z). 04:00-11:00Z, 100 Wh/h: a 150, b 50, a 50, b 350, a 100.
  // 15,000 + 10,000 + 5,000 + 70,000 + 10,000 = 110,000 → 110.
  { name: 'New York fall back (25 h day)', versions: only(dst), zone: 'America/New_York', cursor: cur('2024-11-03T04:00Z', 0, '2024-11'), reading: { ts: '2024-11-03T11:00Z', wh: 700 }, amount: 110, remainderMilli: 0, lines: [[150, 'a', 0, 100, 15, '2024-11-03T04:00Z', '2024-11-03T05:30Z'], [50, 'b', 0, 200, 10, '2024-11-03T05:30Z', '2024-11-03T06:00Z'], [50, 'a', 0, 100, 5, '2024-11-03T06:00Z', '2024-11-03T06:30Z'], [350, 'b', 0, 200, 70, '2024-11-03T06:30Z', '2024-11-03T10:00Z'], [100, 'a', 0, 100, 10, '2024-11-03T10:00Z', '2024-11-03T11:00Z']], month: '2024-11', monthWh: 700 },
  // Spring forward 2024-03-10 at 07:00Z (02:00 EST → 03:00 EDT): b = 01:30 EST (06:30Z) to 05:00 EDT (09:00Z).
  // 04:00-11:00Z: a 250, b 250, a 200 → 25,000 + 50,000 + 20,000 = 95,000 → 95.
  { name: 'New York spring forward (23 h day)', versions: only(dst), zone: 'America/New_York', cursor: cur('2024-03-10T04:00Z', 0, '2024-03'), reading: { ts: '2024-03-10T11:00Z', wh: 700 }, amount: 95, remainderMilli: 0, lines: [[250, 'a', 0, 100, 25, '2024-03-10T04:00Z', '2024-03-10T06:30Z'], [250, 'b', 0, 200, 50, '2024-03-10T06:30Z', '2024-03-10T09:00Z'], [200, 'a', 0, 100, 20, '2024-03-10T09:00Z', '2024-03-10T11:00Z']], month: '2024-03', monthWh: 700 },
  // A boundary at 02:30, which does not exist that day: b starts at the first instant whose local time is
  // >= 02:30, i.e. 03:00 EDT = 07:00Z. 06:00-08:00Z, 60 Wh/h: a 60, b 60 → 6,000 + 12,000 → 18.
  { name: 'boundary inside the spring-forward gap', versions: only(dstGap), zone: 'America/New_York', cursor: cur('2024-03-10T06:00Z', 0, '2024-03'), reading: { ts: '2024-03-10T08:00Z', wh: 120 }, amount: 18, remainderMilli: 0, lines: [[60, 'a', 0, 100, 6, '2024-03-10T06:00Z', '2024-03-10T07:00Z'], [60, 'b', 0, 200, 12, '2024-03-10T07:00Z', '2024-03-10T08:00Z']], month: '2024-03', monthWh: 120 },
  // Dublin falls back 2024-10-27 at 01:00Z (02:00 IST → 01:00 GMT): b 01:30 IST (00:30Z) - 01:00Z, again from
  // 01:30 GMT (01:30Z) to 05:00 GMT (05:00Z). 23:00Z (local midnight) - 06:00Z: a 150, b 50, a 50, b 350, a 100 → 110.
  { name: 'Dublin fall back (25 h day)', versions: only(dst), zone: 'Europe/Dublin', cursor: cur('2024-10-26T23:00Z', 0, '2024-10'), reading: { ts: '2024-10-27T06:00Z', wh: 700 }, amount: 110, remainderMilli: 0, lines: [[150, 'a', 0, 100, 15, '2024-10-26T23:00Z', '2024-10-27T00:30Z'], [50, 'b', 0, 200, 10, '2024-10-27T00:30Z', '2024-10-27T01:00Z'], [50, 'a', 0, 100, 5, '2024-10-27T01:00Z', '2024-10-27T01:30Z'], [350, 'b', 0, 200, 70, '2024-10-27T01:30Z', '2024-10-27T05:00Z'], [100, 'a', 0, 100, 10]], month: '2024-10', monthWh: 700 },
  // Dublin springs forward 2024-03-31 at 01:00Z (01:00 GMT → 02:00 IST): 01:30 is skipped, b starts at
  // 01:00Z (local 02:00) and ends 05:00 IST = 04:00Z. 00:00-06:00Z: a 100, b 300, a 200 → 90.
  { name: 'Dublin spring forward (23 h day)', versions: only(dst), zone: 'Europe/Dublin', cursor: cur('2024-03-31T00:00Z', 0, '2024-03'), reading: { ts: '2024-03-31T06:00Z', wh: 600 }, amount: 90, remainderMilli: 0, lines: [[100, 'a', 0, 100, 10, '2024-03-31T00:00Z', '2024-03-31T01:00Z'], [300, 'b', 0, 200, 60, '2024-03-31T01:00Z', '2024-03-31T04:00Z'], [200, 'a', 0, 100, 20]], month: '2024-03', monthWh: 600 },
  // Energy with no time passing (same timestamp) is priced just before the instant: at 08:00 that is flat.
  // 10 × 500 = 5,000 → 5.
  { name: 'same timestamp, more energy', versions: only(tou), zone: 'UTC', cursor: cur('2024-01-10T08:00Z', 0, '2024-01'), reading: { ts: '2024-01-10T08:00Z', wh: 10 }, amount: 5, remainderMilli: 0, lines: [[10, 'flat', 0, 500, 5]], month: '2024-01', monthWh: 10 },
];

for (const r of rows) {
  test(`charge: ${r.name}`, (t) => {
    const reading = { ts: Z(r.reading.ts), wh: r.reading.wh };
    const res = chargeConsumption(r.versions, r.zone, r.cursor, reading);
    t.deepEqual(
      res.lines.map((l) => [l.wh, l.period, l.tier, l.pricePerKwh, l.amount]),
      r.lines.map((l) => l.slice(0, 5)),
    );
    r.lines.forEach((l, i) => {
      if (l[5]) t.is(res.lines[i]!.from, Z(l[5]), `line ${i} from`);
      if (l[6]) t.is(res.lines[i]!.to, Z(l[6]), `line ${i} to`);
    });
    t.is(res.amount, r.amount);
    t.is(res.lines.reduce((s, l) => s + l.amount, 0), res.amount);
    t.is(res.lines.reduce((s, l) => s + l.wh, 0), reading.wh - r.cursor.lastWh);
    t.deepEqual(res.cursor, { lastTs: reading.ts, lastWh: reading.wh, remainderMilli: r.remainderMilli, month: r.month, monthWh: r.monthWh, standingDay: r.cursor.standingDay });
  });
}

test('refuses a reading going backwards in energy or time, or not an integer', (t) => {
  const c = cur('2024-01-10T00:00Z', 1000, '2024-01');
  const bad: Array<[{ ts: number; wh: number }, string]> = [
    [{ ts: Z('2024-01-10T00:01Z'), wh: 999 }, 'reading.wh'],
    [{ ts: Z('2024-01-09T23:59Z'), wh: 1001 }, 'reading.ts'],
    [{ ts: Z('2024-01-10T00:01Z'), wh: 1000.5 }, 'reading.wh'],
    [{ ts: Number.NaN, wh: 1001 }, 'reading.ts'],
  ];
  for (const [reading, path] of bad) {
    const e = t.throws(() => chargeConsumption(only(flat), 'UTC', c, reading), { instanceOf: PrepaidError });
    t.is(e?.code, 'E_LEDGER_INPUT');
    t.is(e?.context.path, path);
  }
  const e = t.throws(() => chargeConsumption(only(flat), 'UTC', { ...c, remainderMilli: 1000 }, { ts: c.lastTs, wh: 1001 }), { instanceOf: PrepaidError });
  t.is(e?.context.path, 'cursor.remainderMilli');
});

test('a reading before any tariff version is refused with the versions path', (t) => {
  const versions = [{ activeFrom: Z('2024-06-01T00:00Z'), tariff: flat }];
  const c = cur('2024-05-31T23:00Z', 0, '2024-05');
  const e = t.throws(() => chargeConsumption(versions, 'UTC', c, { ts: Z('2024-06-01T01:00Z'), wh: 10 }), { instanceOf: PrepaidError });
  t.is(e?.code, 'E_TARIFF_INVALID');
  t.is(e?.context.path, 'versions[0].activeFrom');
});

test('an unknown zone is refused', (t) => {
  const c = cur('2024-01-10T00:00Z', 0, '2024-01');
  const e = t.throws(() => chargeConsumption(only(flat), 'Mars/Olympus', c, { ts: Z('2024-01-10T00:01Z'), wh: 10 }), { instanceOf: PrepaidError });
  t.is(e?.context.path, 'zone');
});

test('baselineCursor: month and standing day of the instant; carries remainder, standing day and same-month tiers', (t) => {
  // 2024-04-14T17:00Z is 01:00 on Apr 15 in Shanghai: billing month 2024-04 (billingDay 15), local day Apr 15.
  const b = baselineCursor({ ts: Z('2024-04-14T17:00Z'), wh: 42 }, 'Asia/Shanghai', only(tiered));
  t.deepEqual(b, { lastTs: Z('2024-04-14T17:00Z'), lastWh: 42, remainderMilli: 0, month: '2024-04', monthWh: 0, standingDay: '2024-04-15' });
  const prev: ChargeCursor = { lastTs: Z('2024-04-14T16:30Z'), lastWh: 900_000, remainderMilli: 123, month: '2024-04', monthWh: 5000, standingDay: '2024-04-15' };
  t.deepEqual(baselineCursor({ ts: Z('2024-04-14T17:00Z'), wh: 3 }, 'Asia/Shanghai', only(tiered), prev), { lastTs: Z('2024-04-14T17:00Z'), lastWh: 3, remainderMilli: 123, month: '2024-04', monthWh: 5000, standingDay: '2024-04-15' });
  // Previous cursor from the old billing month: its tier count does not carry.
  t.is(baselineCursor({ ts: Z('2024-04-14T17:00Z'), wh: 3 }, 'Asia/Shanghai', only(tiered), { ...prev, month: '2024-03' }).monthWh, 0);
});

test('charging one interval or the same energy reading by reading agrees on the total over a tariff boundary', (t) => {
  // 07:00-09:00 Wed, 60 Wh/min steady: one reading vs 120 one-minute readings give the same lines' money.
  let c = cur('2024-01-10T07:00Z', 0, '2024-01');
  let sum = 0;
  for (let i = 1; i <= 120; i++) {
    const r = chargeConsumption(only(tou), 'UTC', c, { ts: Z('2024-01-10T07:00Z') + i * 60_000, wh: i * 60 });
    sum += r.amount;
    c = r.cursor;
  }
  const one = chargeConsumption(only(tou), 'UTC', cur('2024-01-10T07:00Z', 0, '2024-01'), { ts: Z('2024-01-10T09:00Z'), wh: 7200 });
  // 3,600 Wh flat (1,800,000) + 3,600 peak (3,240,000) = 5,040,000 → 5,040.
  t.is(one.amount, 5040);
  t.is(sum, 5040);
});
