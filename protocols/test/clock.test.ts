import test from 'ava';
import { ManualClock, systemClock } from '../src/clock.js';

test('advance fires due timers in due order, ties in the order set, each at its own time', (t) => {
  const c = new ManualClock({ now: 1_000, monotonic: 0 });
  const seen: string[] = [];
  c.setTimeout(() => seen.push(`b@${c.monotonic()}`), 20);
  c.setTimeout(() => seen.push(`a@${c.monotonic()}`), 10);
  c.setTimeout(() => seen.push(`c@${c.monotonic()}`), 20);
  c.setTimeout(() => seen.push('late'), 31);
  t.is(c.advance(30), 1_030);
  t.deepEqual(seen, ['a@10', 'b@20', 'c@20']);
  t.is(c.monotonic(), 30);
  t.is(c.pending(), 1);
});

test('a timer set by a timer fires in the same advance when it falls due within it', (t) => {
  const c = new ManualClock();
  const seen: number[] = [];
  c.setTimeout(() => {
    seen.push(c.monotonic());
    c.setTimeout(() => seen.push(c.monotonic()), 5);
  }, 5);
  c.advance(10);
  t.deepEqual(seen, [5, 10]);
});

test('clearTimeout cancels; unknown and undefined handles are ignored', (t) => {
  const c = new ManualClock();
  let fired = 0;
  const h = c.setTimeout(() => fired++, 1);
  c.clearTimeout(h);
  c.clearTimeout(h);
  c.clearTimeout(undefined);
  c.advance(5);
  t.is(fired, 0);
  t.is(c.pending(), 0);
});

test('a clock never runs backwards; set() jumps wall time only', (t) => {
  const c = new ManualClock({ now: 5_000, monotonic: 7 });
  t.throws(() => c.advance(-1), { instanceOf: RangeError });
  let fired = false;
  c.setTimeout(() => (fired = true), 10);
  c.set(1_000);
  t.is(c.now(), 1_000);
  t.is(c.monotonic(), 7);
  t.false(fired);
});

test('advanceAsync lets promise callbacks run between timers', async (t) => {
  const c = new ManualClock({ monotonic: 0 });
  const seen: string[] = [];
  c.setTimeout(() => void Promise.resolve().then(() => seen.push('after first')), 1);
  c.setTimeout(() => seen.push('second'), 2);
  await c.advanceAsync(2);
  t.deepEqual(seen, ['after first', 'second']);
});

test('the system clock is the host clock', async (t) => {
  t.true(Math.abs(systemClock.now() - Date.now()) < 1_000);
  const m0 = systemClock.monotonic();
  await new Promise<void>((resolve) => systemClock.setTimeout(resolve, 5));
  t.true(systemClock.monotonic() - m0 >= 4);
  let fired = false;
  systemClock.clearTimeout(systemClock.setTimeout(() => (fired = true), 1));
  await new Promise((r) => setTimeout(r, 10));
  t.false(fired);
});
