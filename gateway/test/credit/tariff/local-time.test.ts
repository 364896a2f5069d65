import test from 'ava';
import { dayLength, dayStart, localDate, localParts, localToInstant, tariffSegments, zoneOffsetMs } from '../../../src/core/tariff/index.js';
import { Z, dstGap, only, tou } from './tariffs.js';

const H = 3_600_000;

// [zone, local date, day start (UTC), hours in the day] — transitions from the IANA tz database.
const days: Array<[string, string, string, number]> = [
  ['America/New_York', '2024-03-10', '2024-03-10T05:00Z', 23], // 02:00 EST → 03:00 EDT
  ['America/New_York', '2024-11-03', '2024-11-03T04:00Z', 25], // 02:00 EDT → 01:00 EST
  ['America/New_York', '2024-07-01', '2024-07-01T04:00Z', 24],
  ['Europe/Dublin', '2024-03-31', '2024-03-31T00:00Z', 23], // 01:00 GMT → 02:00 IST
  ['Europe/Dublin', '2024-10-27', '2024-10-26T23:00Z', 25], // 02:00 IST → 01:00 GMT
  ['Asia/Shanghai', '2024-03-10', '2024-03-09T16:00Z', 24], // no DST, +08:00
  ['Australia/Lord_Howe', '2024-04-07', '2024-04-06T13:00Z', 24.5], // half-hour DST
  ['Pacific/Apia', '2011-12-30', '2011-12-30T10:00Z', 0], // Samoa skipped this whole day
];
for (const [zone, date, start, hours] of days) {
  test(`day ${date} in ${zone} starts ${start} and lasts ${hours} h`, (t) => {
    t.is(dayStart(date, zone), Z(start));
    t.is(dayLength(date, zone), hours * H);
  });
}

test('localParts across the New York spring-forward jump', (t) => {
  const before = localParts(Z('2024-03-10T06:59:59.999Z'), 'America/New_York');
  t.like(before, { date: '2024-03-10', hour: 1, minute: 59, second: 59, millisecond: 999, weekday: 0, offsetMs: -5 * H });
  const after = localParts(Z('2024-03-10T07:00Z'), 'America/New_York');
  t.like(after, { date: '2024-03-10', hour: 3, minute: 0, minuteOfDay: 180, offsetMs: -4 * H });
});

test('localParts agrees with Intl.DateTimeFormat every 37 minutes over two years in four zones', (t) => {
  for (const zone of ['America/New_York', 'Europe/Dublin', 'Asia/Shanghai', 'Australia/Adelaide']) {
    const f = new Intl.DateTimeFormat('en-CA', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
    for (let ms = Z('2023-01-01T00:00Z'); ms < Z('2025-01-01T00:00Z'); ms += 37 * 60_000) {
      const p = localParts(ms, zone);
      const want = f.format(ms).replace(', ', 'T');
      const got = `${p.date}T${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')}`;
      if (got !== want) return t.fail(`${zone} ${new Date(ms).toISOString()}: ${got} != ${want}`);
    }
  }
  t.pass();
});

test('local times in a gap map to the jump; in an overlap to the first occurrence', (t) => {
  t.is(localToInstant('2024-03-10', '02:30', 'America/New_York'), Z('2024-03-10T07:00Z')); // does not exist → 03:00 EDT
  t.is(localToInstant('2024-03-10', '03:00', 'America/New_York'), Z('2024-03-10T07:00Z'));
  t.is(localToInstant('2024-11-03', '01:30', 'America/New_York'), Z('2024-11-03T05:30Z')); // first 01:30 (EDT)
  t.is(localToInstant('2024-03-31', '01:30', 'Europe/Dublin'), Z('2024-03-31T01:00Z'));
  t.is(zoneOffsetMs(Z('2024-07-01T00:00Z'), 'Europe/Dublin'), H);
  t.is(localDate(Z('2024-10-26T23:00Z'), 'Europe/Dublin'), '2024-10-27');
  t.is(localDate(Z('2024-10-26T22:59:59.999Z'), 'Europe/Dublin'), '2024-10-26');
});

test('a ToU boundary inside the spring-forward gap changes the period at the jump', (t) => {
  const segs = tariffSegments(only(dstGap), 'America/New_York', Z('2024-03-10T05:00Z'), Z('2024-03-11T04:00Z'));
  t.deepEqual(
    segs.map((s) => [new Date(s.from).toISOString(), s.period]),
    [
      ['2024-03-10T05:00:00.000Z', 'a'],
      ['2024-03-10T07:00:00.000Z', 'b'], // local 03:00, the first local time >= 02:30
      ['2024-03-10T09:00:00.000Z', 'a'], // 05:00 EDT
    ],
  );
  // The next day the same rule starts at 02:30 EDT = 06:30Z.
  const next = tariffSegments(only(dstGap), 'America/New_York', Z('2024-03-11T04:00Z'), Z('2024-03-12T04:00Z'));
  t.is(next[1]!.from, Z('2024-03-11T06:30Z'));
});

test('segments of a ToU day in UTC: valley, flat, peak, flat, valley', (t) => {
  const segs = tariffSegments(only(tou), 'UTC', Z('2024-01-10T00:00Z'), Z('2024-01-11T00:00Z'));
  t.deepEqual(
    segs.map((s) => [new Date(s.from).toISOString().slice(11, 16), s.period, s.pricePerKwh]),
    [
      ['00:00', 'valley', 200],
      ['07:00', 'flat', 500],
      ['08:00', 'peak', 900],
      ['12:00', 'flat', 500],
      ['23:00', 'valley', 200],
    ],
  );
});
