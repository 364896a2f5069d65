import test from 'ava';
import { every, ManualClock, systemClock } from '../src/clock.js';

test('every runs on a fixed cadence until stopped', (t) => {
  const c = new ManualClock({ monotonic: 0 });
  const seen: number[] = [];
  const stop = every(c, 10, () => seen.push(c.monotonic()));
  c.advance(35);
  t.deepEqual(seen, [10, 20, 30]);
  stop();
  c.advance(100);
  t.deepEqual(seen, [10, 20, 30]);
  t.is(c.pending(), 0);
});

test('every skips runs missed while blocked instead of making them up', (t) => {
  const c = new ManualClock({ monotonic: 0 });
  const seen: number[] = [];
  every(c, 10, () => {
    seen.push(c.monotonic());
    if (seen.length === 1) c.advance(25); // the first run blocks past two due times
  });
  c.advance(50);
  t.deepEqual(seen, [10, 35, 45]);
});

test('every may be stopped from inside its own run', (t) => {
  const c = new ManualClock();
  let runs = 0;
  const stop = every(c, 5, () => {
    runs++;
    stop();
  });
  c.advance(50);
  t.is(runs, 1);
  t.is(c.pending(), 0);
});

test('every rejects a period that is not positive', (t) => {
  t.throws(() => every(new ManualClock(), 0, () => undefined), { instanceOf: RangeError });
});

test('an unref timer of the system clock still fires', async (t) => {
  const fired = await new Promise<boolean>((resolve) => {
    systemClock.setTimeout(() => resolve(true), 5, { unref: true });
    const keep = setTimeout(() => resolve(false), 1_000);
    keep.unref();
    setTimeout(() => undefined, 50);
  });
  t.true(fired);
});
