/** Which entries of a meter's event log to read, and which are new: vectors. */
import test from 'ava';
import { EVENT } from '@prepaid-edge/firmware';
import { eventLogPlan, newEvents, PREPAID_EVENT_KINDS } from '../../src/core/meter-events/index.js';

const plans: Array<[string, number | undefined, number, number, { indices: number[]; lost: number; reset: boolean }]> = [
  ['first contact: all the meter holds, oldest first', undefined, 5, 5, { indices: [4, 3, 2, 1, 0], lost: 0, reset: false }],
  ['first contact, log wrapped: what it holds (earlier ones were never ours)', undefined, 300, 64, { indices: Array.from({ length: 64 }, (_, i) => 63 - i), lost: 236, reset: false }],
  ['nothing new', 7, 7, 7, { indices: [], lost: 0, reset: false }],
  ['two new', 7, 9, 9, { indices: [1, 0], lost: 0, reset: false }],
  ['offline for days: the log wrapped, the overwritten ones are counted', 10, 100, 64, { indices: Array.from({ length: 64 }, (_, i) => 63 - i), lost: 26, reset: false }],
  ['the counter went back: reset, everything held', 50, 3, 3, { indices: [2, 1, 0], lost: 0, reset: true }],
  ['an empty log', undefined, 0, 0, { indices: [], lost: 0, reset: false }],
];
for (const [name, last, counter, held, want] of plans) test(`eventLogPlan: ${name}`, (t) => t.deepEqual(eventLogPlan(last, counter, held), want));

test('eventLogPlan refuses counts that are not counts', (t) => {
  t.throws(() => eventLogPlan(0, -1, 0), { instanceOf: RangeError });
  t.throws(() => eventLogPlan(0, 1, 1.5), { instanceOf: RangeError });
});

test('newEvents: newer than the mark, each seq once, in seq order (the log moved during the walk)', (t) => {
  const e = (seq: number) => ({ seq, type: 8, seconds: 0, value: 0 });
  t.deepEqual(newEvents([e(9), e(8), e(8), e(7), e(10)], 7, false).map((x) => x.seq), [8, 9, 10]);
  t.deepEqual(newEvents([e(2), e(1)], 50, true).map((x) => x.seq), [1, 2]);
  t.deepEqual(newEvents([e(2), e(1)], undefined, false).map((x) => x.seq), [1, 2]);
});

test("the gateway's names cover the firmware's event table, code for code", (t) => {
  for (const [name, code] of Object.entries(EVENT)) {
    const kind = PREPAID_EVENT_KINDS[code];
    t.truthy(kind, `${name} (${code}) has a name`);
  }
  t.is(Object.keys(PREPAID_EVENT_KINDS).length, Object.keys(EVENT).length);
  t.is(PREPAID_EVENT_KINDS[EVENT.COVER_OPENED]!.kind, 'cover-opened');
  t.is(PREPAID_EVENT_KINDS[EVENT.POWER_DOWN]!.kind, 'power-down');
  t.is(PREPAID_EVENT_KINDS[EVENT.POWER_UP]!.kind, 'power-up');
  t.is(PREPAID_EVENT_KINDS[EVENT.CLOCK_SET]!.kind, 'clock-set');
});
