import test from 'ava';
import { ManualClock } from '@prepaid-edge/protocols';
import { PollClock } from '../../src/adapters/acquisition/poll-clock.js';

function fakeTimers() {
  const clock = new ManualClock({ monotonic: 0 });
  return {
    deps: clock,
    armed: () => clock.pending(),
    /** Move the clock to `to`, firing due timers in order. */
    advance(to: number) {
      clock.advance(to - clock.monotonic());
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
