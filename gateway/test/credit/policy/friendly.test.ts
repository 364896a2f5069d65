import test from 'ava';
import type { Policy } from '../../../src/core/credit/contracts.js';
import { friendlyPeriodEnd, inFriendlyPeriod, localTime } from '../../../src/core/policy/index.js';
import { at } from './account-sim.js';

const friendly = (windows: Policy['friendly']['windows'], holidays: string[] = []) => ({ friendly: { windows, holidays } });

// Weeknights only: a window that wraps midnight belongs to the day it starts on.
const weeknights = friendly([{ days: ['weekday'], from: '22:00', to: '06:00' }]);
// UK-style: every evening 18:00 to 09:00.
const evenings = friendly([{ from: '18:00', to: '09:00' }]);
// Irish-style: nights, weekends, holidays.
const irish = friendly(
  [
    { from: '16:00', to: '08:00' },
    { days: ['saturday', 'sunday', 'holiday'], from: '00:00', to: '00:00' },
  ],
  ['2025-03-17', '2025-12-25', '2025-12-26'],
);

// [name, policy, zone, instant (UTC), in friendly period, end of the period (UTC) or null]
const table: Array<[string, { friendly: Policy['friendly'] }, string, string, boolean, string | null]> = [
  ['weeknight, before midnight', weeknights, 'UTC', '2025-03-12T23:00:00Z', true, '2025-03-13T06:00:00Z'],
  ['weeknight, after midnight', weeknights, 'UTC', '2025-03-13T02:00:00Z', true, '2025-03-13T06:00:00Z'],
  ['window start is inclusive', weeknights, 'UTC', '2025-03-12T22:00:00Z', true, '2025-03-13T06:00:00Z'],
  ['window end is exclusive', weeknights, 'UTC', '2025-03-13T06:00:00Z', false, null],
  ['weekday afternoon', weeknights, 'UTC', '2025-03-12T15:00:00Z', false, null],
  ['Friday night runs into Saturday morning', weeknights, 'UTC', '2025-03-14T23:30:00Z', true, '2025-03-15T06:00:00Z'],
  ['Saturday night is not a weeknight', weeknights, 'UTC', '2025-03-15T23:00:00Z', false, null],
  ['Monday 02:00 belongs to Sunday night', weeknights, 'UTC', '2025-03-17T02:00:00Z', false, null],
  ['Irish: Friday evening to Tuesday over a Monday holiday', irish, 'Europe/Dublin', '2025-03-14T17:00:00Z', true, '2025-03-18T08:00:00Z'],
  ['Irish: Saturday noon, a normal weekend', irish, 'Europe/Dublin', '2025-03-22T12:00:00Z', true, '2025-03-24T08:00:00Z'],
  ['Irish: Christmas Eve night through St Stephen\'s Day', irish, 'Europe/Dublin', '2025-12-24T20:00:00Z', true, '2025-12-29T08:00:00Z'],
  // Europe/London: 2025-03-30 01:00 UTC clocks go 01:00 GMT -> 02:00 BST; the night is an hour shorter.
  ['spring forward: 09:00 BST is 08:00 UTC', evenings, 'Europe/London', '2025-03-29T20:00:00Z', true, '2025-03-30T08:00:00Z'],
  // 2025-10-26 01:00 UTC clocks go 02:00 BST -> 01:00 GMT; the night is an hour longer.
  ['fall back: 09:00 GMT is 09:00 UTC', evenings, 'Europe/London', '2025-10-25T19:00:00Z', true, '2025-10-26T09:00:00Z'],
  // America/New_York: 2025-03-09 07:00 UTC, 02:00 EST -> 03:00 EDT.
  ['New York spring forward', evenings, 'America/New_York', '2025-03-08T23:30:00Z', true, '2025-03-09T13:00:00Z'],
  // Southern hemisphere: Australia/Sydney 2025-04-06 03:00 AEDT -> 02:00 AEST (16:00 UTC the day before).
  ['Sydney fall back', evenings, 'Australia/Sydney', '2025-04-05T08:00:00Z', true, '2025-04-05T23:00:00Z'],
  // Windows whose edge is skipped or repeated by the DST change end at the change itself.
  ['edge inside the skipped hour', friendly([{ from: '00:30', to: '01:30' }]), 'Europe/London', '2025-03-30T00:45:00Z', true, '2025-03-30T01:00:00Z'],
  ['edge inside the repeated hour', friendly([{ from: '01:30', to: '03:00' }]), 'Europe/London', '2025-10-26T00:45:00Z', true, '2025-10-26T01:00:00Z'],
  ['back in the window in the repeated hour', friendly([{ from: '01:30', to: '03:00' }]), 'Europe/London', '2025-10-26T01:40:00Z', true, '2025-10-26T03:00:00Z'],
  ['whole day every day never ends', friendly([{ from: '00:00', to: '00:00' }]), 'Asia/Shanghai', '2025-06-01T00:00:00Z', true, null],
  ['round the clock built from two windows never ends', friendly([{ from: '08:00', to: '20:00' }, { from: '20:00', to: '08:00' }]), 'Europe/Dublin', '2025-06-01T00:00:00Z', true, null],
  ['no windows', friendly([]), 'UTC', '2025-06-01T00:00:00Z', false, null],
];

for (const [name, policy, zone, instant, inside, end] of table) {
  test(`friendly: ${name}`, (t) => {
    const ms = at(instant);
    t.is(inFriendlyPeriod(policy, zone, ms), inside);
    t.is(friendlyPeriodEnd(policy, zone, ms), end === null ? null : at(end));
    if (end !== null) {
      // Friendly right up to the end, not at it.
      t.true(inFriendlyPeriod(policy, zone, at(end) - 1));
      t.false(inFriendlyPeriod(policy, zone, at(end)));
    }
  });
}

test('friendlyPeriodEnd agrees with a minute-by-minute scan over two DST weeks', (t) => {
  const policy = irish;
  const zone = 'Europe/Dublin';
  const start = at('2025-03-24T00:00:00Z');
  const stop = at('2025-04-07T00:00:00Z');
  let expectedEnd: number | null = null;
  // Scan backwards: the end of the period containing each minute is the next non-friendly minute.
  const ends = new Map<number, number | null>();
  for (let ms = stop; ms >= start; ms -= 60_000) {
    if (!inFriendlyPeriod(policy, zone, ms)) expectedEnd = ms;
    ends.set(ms, inFriendlyPeriod(policy, zone, ms) ? expectedEnd : null);
  }
  let checked = 0;
  for (let ms = start; ms < stop; ms += 37 * 60_000) {
    const e = ends.get(ms);
    if (e === undefined || e === null) continue;
    t.is(friendlyPeriodEnd(policy, zone, ms), e, new Date(ms).toISOString());
    checked++;
  }
  t.true(checked > 200);
});

test('localTime: Dublin summer offset and the local date across midnight', (t) => {
  const lt = localTime('Europe/Dublin', at('2025-07-01T23:30:00Z'));
  t.is(lt.offsetMs, 3_600_000);
  t.is(lt.date, '2025-07-02');
  t.is(lt.minuteOfDay, 30);
  t.is(lt.weekday, 3);
});
