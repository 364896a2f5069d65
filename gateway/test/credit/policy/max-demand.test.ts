import test from 'ava';
import { demandStep, idleDemand, type DemandState, type MaxDemand } from '../../../src/core/policy/max-demand.js';

const CFG: MaxDemand = { limitW: 5000, overSeconds: 30, reconnectSeconds: 300 };
const T0 = Date.UTC(2026, 0, 5, 18);

/** Feed [seconds after T0, power or null for a wake-up] and list the actions. */
function run(inputs: Array<[number, number | undefined]>, cfg = CFG): string[] {
  let s: DemandState = idleDemand();
  const out: string[] = [];
  for (const [sec, w] of inputs) {
    const r = demandStep(s, cfg, T0 + sec * 1000, w);
    s = r.state;
    if (r.action) out.push(`${sec}:${r.action.type}`);
  }
  return out;
}

test('over the limit for overSeconds trips; reconnectSeconds later it reconnects', (t) => {
  t.deepEqual(run([[0, 6000], [10, 6000], [20, 7000], [30, 6000], [40, 0], [329, undefined], [330, undefined]]), ['30:trip', '330:reconnect']);
});

test('a dip under the limit restarts the count', (t) => {
  t.deepEqual(run([[0, 6000], [10, 6000], [20, 4000], [30, 6000], [50, 6000], [60, 6000]]), ['60:trip']);
});

test('a failed read never trips: no reading, no count; a gap longer than overSeconds restarts it', (t) => {
  // readings at 0 and 45 s, both over: nobody saw the power in between
  t.deepEqual(run([[0, 6000], [45, 6000]]), []);
  // a reading without power changes nothing
  t.deepEqual(run([[0, 6000], [10, undefined], [20, undefined], [29, 6000]]), []);
});

test('exactly at the limit is not over it; overSeconds 0 trips at the first reading over it', (t) => {
  t.deepEqual(run([[0, 5000], [40, 5000], [80, 5000]]), []);
  t.deepEqual(run([[0, 5001]], { ...CFG, overSeconds: 0 }), ['0:trip']);
});

test('the trip says how long and how high; the wake-up is the reconnect time', (t) => {
  let s = idleDemand();
  s = demandStep(s, CFG, T0, 6500).state;
  const r = demandStep(s, CFG, T0 + 30_000, 8000);
  t.deepEqual(r.action, { type: 'trip', overMs: 30_000, peakW: 8000 });
  t.is(r.wakeAt, T0 + 30_000 + 300_000);
  t.is(demandStep(r.state, CFG, T0 + 100_000, 9000).action, undefined, 'while tripped, readings do not trip again');
});
