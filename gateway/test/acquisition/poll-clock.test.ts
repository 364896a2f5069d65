import test from 'ava';
import { PollClock } from '../../src/acquisition/poll-clock.js';

function fakeTimers() {
  let now = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  let id = 0;
  return {
    deps: {
      monotonic: () => now,
      setTimer: (fn: () => void, ms: number) => {
        timers.set(++id, { at: now + ms, fn });
        return id as unknown as NodeJS.Timeout;
      },
      clearTimer: (t: NodeJS.Timeout) => void timers.delete(t as unknown as number),
    },
    armed: () => timers.size,
    /** Move the clock to `to`, firing due timers in order. */
    advance(to: number) {
      for (;;) {
        const next = [...timers.entries()].sort((a, b) => a[1].at - b[1].at)[0];
        if (!next || next[1].at > to) break;
        timers.delete(next[0]);
        now = next[1].at;
        next[1].fn();
      }
      now = to;
    },
  };
}

test('due times are rounded up to the tick: everything due in one tick runs in one wake-up, on one timer', (t) => {
  const f = fakeTimers();
  const clock = new PollClock(250, f.deps);
  const ran: Array<[string, number]> = [];
  for (const [name, at] of [['a', 10], ['b', 240], ['c', 250], ['d', 260]] as const) clock.at(at, () => ran.push([name, f.deps.monotonic()]));
  t.is(f.armed(), 1, 'one timer, whatever the number of pollers');
  f.advance(1000);
  t.deepEqual(ran, [['a', 250], ['b', 250], ['c', 250], ['d', 500]]);
  t.is(f.armed(), 0);
});

test('cancel removes one entry; the timer goes when nothing is left', (t) => {
  const f = fakeTimers();
  const clock = new PollClock(100, f.deps);
  const ran: string[] = [];
  const cancelA = clock.at(50, () => ran.push('a'));
  const cancelB = clock.at(150, () => ran.push('b'));
  cancelA();
  f.advance(120);
  t.deepEqual(ran, []);
  cancelB();
  t.is(f.armed(), 0);
  t.is(clock.pending, 0);
  f.advance(1000);
  t.deepEqual(ran, []);
});

test('what a callback schedules for a later tick gets its own wake-up', (t) => {
  const f = fakeTimers();
  const clock = new PollClock(100, f.deps);
  const ran: number[] = [];
  const poll = () => {
    ran.push(f.deps.monotonic());
    if (ran.length < 3) clock.at(f.deps.monotonic() + 1000, poll);
  };
  clock.at(0, poll);
  f.advance(5000);
  t.deepEqual(ran, [0, 1000, 2000]);
});
