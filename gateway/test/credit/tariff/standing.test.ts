import test from 'ava';
import { PrepaidError } from '@prepaid-edge/protocols';
import type { ChargeCursor, TariffVersion } from '../../../src/core/credit/contracts.js';
import { parseTariff, standingCharges } from '../../../src/core/tariff/index.js';
import { Z } from './tariffs.js';

const daily = (id: string, standingChargePerDay: number) =>
  parseTariff({ id, creditUnit: 'currency', currency: 'USD', subunitsPerUnit: 1000, periods: [{ id: 'p', pricePerKwh: 100 }], tou: [], defaultPeriod: 'p', standingChargePerDay });
const cursor = (standingDay: string): ChargeCursor => ({ lastTs: 0, lastWh: 0, remainderMilli: 0, month: '2024-01', monthWh: 0, standingDay });
const v250: TariffVersion[] = [{ activeFrom: 0, tariff: daily('d250', 250) }];

// [case, zone, standingDay, now, days charged, new standingDay]
const rows: Array<[string, string, string, string, string[], string]> = [
  // 2024-03-10 is 23 h long in New York; 2024-03-11 starts at 04:00Z (EDT).
  ['the 23 h day, just before the next midnight', 'America/New_York', '2024-03-09', '2024-03-11T03:59:59.999Z', ['2024-03-10'], '2024-03-10'],
  ['the 23 h day and the next, at its midnight', 'America/New_York', '2024-03-09', '2024-03-11T04:00Z', ['2024-03-10', '2024-03-11'], '2024-03-11'],
  // 2024-11-03 is 25 h long; 2024-11-04 starts at 05:00Z (EST).
  ['the 25 h day, in its 25th hour', 'America/New_York', '2024-11-02', '2024-11-04T04:59:59.999Z', ['2024-11-03'], '2024-11-03'],
  ['the 25 h day and the next', 'America/New_York', '2024-11-02', '2024-11-04T05:00Z', ['2024-11-03', '2024-11-04'], '2024-11-04'],
  // Dublin 2024-10-27 starts 2024-10-26T23:00Z (IST).
  ['Dublin fall-back day starts at 23:00Z the day before', 'Europe/Dublin', '2024-10-26', '2024-10-26T23:00Z', ['2024-10-27'], '2024-10-27'],
  ['a gap of five days', 'Asia/Shanghai', '2024-05-01', '2024-05-06T02:00Z', ['2024-05-02', '2024-05-03', '2024-05-04', '2024-05-05', '2024-05-06'], '2024-05-06'],
  ['same day: nothing', 'Asia/Shanghai', '2024-05-06', '2024-05-06T15:59:59Z', [], '2024-05-06'],
  ['clock set back: nothing, cursor kept', 'Asia/Shanghai', '2024-05-06', '2024-05-01T00:00Z', [], '2024-05-06'],
];
for (const [name, zone, from, now, charged, after] of rows) {
  test(`standing: ${name}`, (t) => {
    const r = standingCharges(v250, zone, cursor(from), Z(now));
    t.deepEqual(r.days, charged.map((day) => ({ day, amount: 250, tariff: 'd250' })));
    t.is(r.cursor.standingDay, after);
  });
}

test('standing: each day is priced by the tariff active at its local start', (t) => {
  // New tariff from 12:00 local (04:00Z) on May 3 in Shanghai: May 3 started under the old one.
  const versions: TariffVersion[] = [
    { activeFrom: Z('2024-04-01T00:00Z'), tariff: daily('old', 100) },
    { activeFrom: Z('2024-05-03T04:00Z'), tariff: daily('new', 300) },
  ];
  const r = standingCharges(versions, 'Asia/Shanghai', cursor('2024-05-01'), Z('2024-05-06T02:00Z'));
  t.deepEqual(r.days, [
    { day: '2024-05-02', amount: 100, tariff: 'old' },
    { day: '2024-05-03', amount: 100, tariff: 'old' },
    { day: '2024-05-04', amount: 300, tariff: 'new' },
    { day: '2024-05-05', amount: 300, tariff: 'new' },
    { day: '2024-05-06', amount: 300, tariff: 'new' },
  ]);
});

test('standing: days before the first tariff and zero-charge days give no entry', (t) => {
  const versions: TariffVersion[] = [
    { activeFrom: Z('2024-05-03T00:00Z'), tariff: daily('free', 0) },
    { activeFrom: Z('2024-05-04T00:00Z'), tariff: daily('paid', 70) },
  ];
  const r = standingCharges(versions, 'UTC', cursor('2024-05-01'), Z('2024-05-04T00:00Z'));
  t.deepEqual(r.days, [{ day: '2024-05-04', amount: 70, tariff: 'paid' }]);
  t.is(r.cursor.standingDay, '2024-05-04');
});

test('standing: a day a zone skipped entirely is not charged', (t) => {
  // Samoa moved across the date line: 2011-12-30 never happened in Pacific/Apia.
  const r = standingCharges(v250, 'Pacific/Apia', cursor('2011-12-28'), Z('2011-12-31T12:00Z'));
  t.deepEqual(r.days.map((d) => d.day), ['2011-12-29', '2011-12-31', '2012-01-01']);
});

test('standing: a bad standingDay is refused', (t) => {
  const e = t.throws(() => standingCharges(v250, 'UTC', cursor('2024-02-30'), 0), { instanceOf: PrepaidError });
  t.is(e?.code, 'E_LEDGER_INPUT');
  t.is(e?.context.path, 'cursor.standingDay');
});
