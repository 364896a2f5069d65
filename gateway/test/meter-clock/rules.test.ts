/** The pure meter-clock rules, as vectors: steps of the gateway's clock, drift from one read, when to sync. */
import test from 'ava';
import { clockStep, clockSyncDue, meterClockDrift, wallClockPlausible } from '../../src/core/meter-clock/index.js';

const T = Date.UTC(2026, 11, 3, 12);

const steps: Array<[string, { wall: number; mono: number }, { wall: number; mono: number }, number, number]> = [
  ['both moved alike', { wall: T, mono: 1000 }, { wall: T + 60_000, mono: 61_000 }, 2000, 0],
  ['NTP slew within tolerance', { wall: T, mono: 0 }, { wall: T + 61_500, mono: 60_000 }, 2000, 0],
  ['forward one hour', { wall: T, mono: 0 }, { wall: T + 3_660_000, mono: 60_000 }, 2000, 3_600_000],
  ['backward one day', { wall: T, mono: 0 }, { wall: T - 86_400_000 + 60_000, mono: 60_000 }, 2000, -86_400_000],
  ['from 1970 to now (Pi without RTC)', { wall: 30_000, mono: 30_000 }, { wall: T, mono: 90_000 }, 2000, T - 90_000],
  ['exactly the tolerance', { wall: T, mono: 0 }, { wall: T + 62_000, mono: 60_000 }, 2000, 2000],
];
for (const [name, a, b, tol, want] of steps) test(`clockStep: ${name}`, (t) => t.is(clockStep(a, b, tol), want));

test('wallClockPlausible: before the floor (1970, last shutdown before the release) is not trusted', (t) => {
  const floor = Date.parse('2026-11-01T00:00:00Z');
  t.false(wallClockPlausible(0, floor));
  t.false(wallClockPlausible(floor - 1, floor));
  t.true(wallClockPlausible(floor, floor));
  t.true(wallClockPlausible(T, floor));
  t.false(wallClockPlausible(Number.NaN, floor));
});

const drifts: Array<[string, number, number, number, number, number]> = [
  // name, meter seconds, sentAt, receivedAt, drift, uncertainty
  ['in step, instant reply', T / 1000, T + 500, T + 500, 0, 500],
  ['meter 90 s behind', T / 1000 - 90, T + 200, T + 800, -90_000, 800],
  ['meter 3 s ahead, slow reply', T / 1000 + 3, T, T + 2000, 2500, 1500],
];
for (const [name, s, a, b, drift, unc] of drifts) test(`meterClockDrift: ${name}`, (t) => t.deepEqual(meterClockDrift(s, a, b), { driftMs: drift, uncertaintyMs: unc }));

test('meterClockDrift refuses a reply before its request and a clock that is not whole seconds', (t) => {
  t.throws(() => meterClockDrift(100, T + 1, T), { instanceOf: RangeError });
  t.throws(() => meterClockDrift(1.5, T, T), { instanceOf: RangeError });
  t.throws(() => meterClockDrift(-1, T, T), { instanceOf: RangeError });
});

test('clockSyncDue: start, then a step at once, then the schedule', (t) => {
  const day = 86_400_000;
  t.is(clockSyncDue({ lastSyncMono: undefined, intervalMs: day }, 0, 0), 'start');
  t.is(clockSyncDue({ lastSyncMono: undefined, intervalMs: day }, 0, 1_700_000_000_000), 'clock-step', 'never synced yet (clock was implausible), then NTP: a step');
  t.is(clockSyncDue({ lastSyncMono: 0, intervalMs: day }, 60_000, 0), undefined);
  t.is(clockSyncDue({ lastSyncMono: 0, intervalMs: day }, 60_000, 3_600_000), 'clock-step');
  t.is(clockSyncDue({ lastSyncMono: 0, intervalMs: day }, day - 1, 0), undefined);
  t.is(clockSyncDue({ lastSyncMono: 0, intervalMs: day }, day, 0), 'schedule');
});
