import test from 'ava';
import type { RegisterDef } from '@prepaid-edge/protocols';
import { checkCounters, checkRanges, CounterWatch } from '../../src/core/plausibility.js';

const def = (name: string, min?: number, max?: number): RegisterDef => ({
  name, kind: 'input', address: 0, type: 'f32', wordOrder: 'high-first', scale: 1, unit: '', access: 'r', description: name,
  ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}),
});
const defs = [def('voltageL1'), def('power', -100000, 100000), def('energyImport')];
const T = 1_763_800_000_000;

const rangeVectors: Array<[string, Record<string, number>, string | null]> = [
  ['all fine', { voltageL1: 229.8, power: 1520, energyImport: 1234567 }, null],
  ['NaN voltage', { voltageL1: NaN, power: 1, energyImport: 1 }, 'not-finite:voltageL1'],
  ['infinite power', { voltageL1: 230, power: Infinity, energyImport: 1 }, 'not-finite:power'],
  ['power past the register max', { voltageL1: 230, power: 200000, energyImport: 1 }, 'out-of-range:power'],
  ['negative energy', { voltageL1: 230, power: 0, energyImport: -5 }, 'out-of-range:energyImport'],
];
for (const [name, values, expected] of rangeVectors) {
  test(`ranges: ${name}`, (t) => {
    const v = checkRanges(defs, values);
    t.is(v.ok ? null : `${v.reason}:${v.field}`, expected);
  });
}

const counterVectors: Array<[string, number, number, number, string | null]> = [
  // name, previous Wh, new Wh, elapsed ms, verdict
  ['steady growth', 1000, 1001, 1000, null],
  ['no change', 1000, 1000, 1000, null],
  ['backwards by 1 Wh', 1000, 999, 1000, 'energy-backwards'],
  ['meter replaced (reset to 0)', 5_000_000, 0, 1000, 'energy-backwards'],
  ['jump of 1 MWh in a second', 1000, 1_001_000, 1000, 'energy-jump'],
  ['500 kW for an hour is possible', 0, 500_000, 3_600_000, null],
  ['32-bit wrap seen as a jump', 1000, 4_294_967_000, 60_000, 'energy-jump'],
];
for (const [name, prev, next, dt, expected] of counterVectors) {
  test(`counters: ${name}`, (t) => {
    const v = checkCounters({ energyImport: next }, T + dt, { ts: T, values: { energyImport: prev } });
    t.is(v.ok ? null : (v.reason as string), expected);
  });
}

test('a counter reset is confirmed only by three consistent polls', (t) => {
  const w = new CounterWatch(3);
  t.is(w.suspect({ ts: T, values: { energyImport: 10 } }), undefined);
  t.is(w.suspect({ ts: T + 1000, values: { energyImport: 11 } }), undefined);
  t.deepEqual(w.suspect({ ts: T + 2000, values: { energyImport: 12 } }), { ts: T + 2000, values: { energyImport: 12 } });
});

test('inconsistent suspects restart the confirmation (a glitch is not a reset)', (t) => {
  const w = new CounterWatch(3);
  w.suspect({ ts: T, values: { energyImport: 10 } });
  w.suspect({ ts: T + 1000, values: { energyImport: 5 } }); // backwards among suspects: start again
  t.is(w.suspect({ ts: T + 2000, values: { energyImport: 6 } }), undefined);
  t.truthy(w.suspect({ ts: T + 3000, values: { energyImport: 7 } }));
});
