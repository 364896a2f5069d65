import test from 'ava';
import { readFileSync } from 'node:fs';
import { AnomalyEngine, parseAnomalyConfig, type AnomalyChange } from '../../src/core/anomaly/index.js';

const T0 = Date.UTC(2026, 0, 5); // a Monday, 00:00 UTC
const MIN = 60_000;
const DAY = 86_400_000;
const DEFAULTS = (JSON.parse(readFileSync(new URL('../../../schema/anomaly-rules.json', import.meta.url), 'utf8')) as { rules: unknown[] }).rules;

function engine(section: Record<string, unknown> = {}) {
  const cfg = parseAnomalyConfig(section, { defaults: DEFAULTS });
  return new AnomalyEngine(cfg, 'UTC', T0);
}

interface Meter {
  wh: number;
  exp: number;
}

/** Feed one-minute readings for [from, to) with the values `at(t)` returns. */
function feed(e: AnomalyEngine, meter: string, m: Meter, from: number, to: number, at: (t: number) => { w: number; v?: number[]; exportW?: number }) {
  for (let t = from; t < to; t += MIN) {
    const s = at(t);
    m.wh += s.w / 60;
    m.exp += (s.exportW ?? 0) / 60;
    const v = s.v ?? [230];
    const values: Record<string, number> = { energyImport: Math.floor(m.wh), energyExport: Math.floor(m.exp), power: s.w };
    v.forEach((x, i) => (values[`voltageL${i + 1}`] = x));
    e.observe(meter, t, values);
  }
}

const names = (cs: AnomalyChange[]) => cs.map((c) => `${c.change}:${c.meter}:${c.rule}`);

test('a voltage sag is raised once while it lasts and cleared once when the supply is back', (t) => {
  const e = engine();
  const m = { wh: 0, exp: 0 };
  const win = 15 * MIN;
  const seen: string[] = [];
  for (let k = 0; k < 12; k++) {
    const from = T0 + k * win;
    feed(e, 'm1', m, from, from + win, () => ({ w: 500, v: [k >= 3 && k < 7 ? 200 : 231] }));
    seen.push(...names(e.closeWindow(from + win)));
  }
  t.deepEqual(seen, ['raised:m1:voltage-sag', 'cleared:m1:voltage-sag']);
});

test('the hysteresis band holds: between clearPct and pct nothing changes', (t) => {
  const e = engine();
  const m = { wh: 0, exp: 0 };
  const volts = [200, 212, 212, 200, 213, 230];
  const seen: string[][] = [];
  volts.forEach((v, k) => {
    const from = T0 + k * 15 * MIN;
    feed(e, 'm1', m, from, from + 15 * MIN, () => ({ w: 500, v: [v] }));
    seen.push(names(e.closeWindow(from + 15 * MIN)));
  });
  // 212 V is above 207 (90%) but under 213.9 (93%): hold; 213 V too; 230 clears
  t.deepEqual(seen, [['raised:m1:voltage-sag'], [], [], [], [], ['cleared:m1:voltage-sag']]);
});

test('a hole in the readings (failed reads) neither raises nor clears', (t) => {
  const e = engine();
  const m = { wh: 0, exp: 0 };
  feed(e, 'm1', m, T0, T0 + 15 * MIN, () => ({ w: 500, v: [200] }));
  t.deepEqual(names(e.closeWindow(T0 + 15 * MIN)), ['raised:m1:voltage-sag']);
  // one reading in the next window only: coverage 0
  e.observe('m1', T0 + 25 * MIN, { energyImport: Math.floor(m.wh), power: 500, voltageL1: 230 });
  t.deepEqual(names(e.closeWindow(T0 + 30 * MIN)), []);
  t.is(e.active().length, 1);
});

test('phase loss on a three-phase meter, overload against contracted demand, reverse energy', (t) => {
  const e = engine({ meters: { p3: { phases: 3, contractedW: 10_000 }, pv: { exportAllowed: true }, r: {} } });
  const ms = { p3: { wh: 0, exp: 0 }, pv: { wh: 0, exp: 0 }, r: { wh: 0, exp: 0 } };
  feed(e, 'p3', ms.p3, T0, T0 + 15 * MIN, () => ({ w: 12_000, v: [230, 231, 0] }));
  feed(e, 'pv', ms.pv, T0, T0 + 15 * MIN, () => ({ w: 0, exportW: 2000 }));
  feed(e, 'r', ms.r, T0, T0 + 15 * MIN, () => ({ w: 0, exportW: 300 }));
  t.deepEqual(names(e.closeWindow(T0 + 15 * MIN)).sort(), ['raised:p3:overload', 'raised:p3:phase-loss', 'raised:r:reverse-energy']);
});

test('zero use with the supply on is raised after 8 windows; a meter with its relay open is not judged', (t) => {
  const e = engine();
  const a = { wh: 100, exp: 0 };
  const seen: string[] = [];
  for (let k = 0; k < 10; k++) {
    const from = T0 + k * 15 * MIN;
    feed(e, 'idle', a, from, from + 15 * MIN, () => ({ w: 0 }));
    for (let ts = from; ts < from + 15 * MIN; ts += MIN) e.observe('open', ts, { energyImport: 100, power: 0, voltageL1: 230, relayClosed: 0 });
    seen.push(...names(e.closeWindow(from + 15 * MIN)));
  }
  t.deepEqual(seen, ['raised:idle:zero-use']);
});

test('energy balance: a feeder that measures 20% more than its sub-meters raises after 4 windows, not before', (t) => {
  const e = engine({ feeders: [{ meter: 'f', subMeters: ['a', 'b'] }] });
  const ms = { f: { wh: 0, exp: 0 }, a: { wh: 0, exp: 0 }, b: { wh: 0, exp: 0 } };
  const seen: string[][] = [];
  for (let k = 0; k < 8; k++) {
    const from = T0 + k * 15 * MIN;
    const theft = k >= 2 && k < 6 ? 1000 : 0;
    feed(e, 'a', ms.a, from, from + 15 * MIN, () => ({ w: 2000 }));
    feed(e, 'b', ms.b, from, from + 15 * MIN, () => ({ w: 2000 }));
    feed(e, 'f', ms.f, from, from + 15 * MIN, () => ({ w: 4080 + theft, v: [230, 230, 230] }));
    seen.push(names(e.closeWindow(from + 15 * MIN)));
  }
  t.deepEqual(seen.flat(), ['raised:f:energy-balance']);
  t.is(seen.findIndex((s) => s.length > 0), 5); // windows 2..5 over the threshold: raised at the 4th
  const [c] = e.active();
  t.is(c?.rule, 'energy-balance');
});

test('sudden drop and night-use change against the meter\'s own 14-day baseline', (t) => {
  const e = engine();
  const ms = { drop: { wh: 0, exp: 0 }, night: { wh: 0, exp: 0 }, calm: { wh: 0, exp: 0 } };
  const day = (t0: number, w: (h: number) => number, id: keyof typeof ms) => feed(e, id, ms[id], t0, t0 + DAY, (ts) => ({ w: w(((ts - T0) % DAY) / 3_600_000) }));
  const evening = (h: number) => (h >= 17 && h < 22 ? 2000 : 300);
  const changes: Array<[number, string[]]> = [];
  for (let d = 0; d < 24; d++) {
    const t0 = T0 + d * DAY;
    day(t0, (h) => (d >= 16 ? 0.3 : 1) * evening(h), 'drop');
    day(t0, (h) => evening(h) + (d >= 18 && h < 5 ? 1200 : 0), 'night');
    day(t0, evening, 'calm');
    for (let k = 1; k <= 96; k++) e.closeWindow(t0 + k * 15 * MIN);
    const c = names(e.closeDay(t0 + DAY));
    if (c.length) changes.push([d, c]);
  }
  // use-drop and night-use raise on the second judged day beyond their threshold (raiseAfter 2).
  // Days 0-15 give 12 weekdays but only 4 weekend days: weekends (days 19, 20) are not judged yet
  // (7 needed), so the night change from Friday 18 raises on Monday 21.
  t.deepEqual(changes, [
    [17, ['raised:drop:use-drop']],
    [21, ['raised:night:night-use']],
  ]);
});

test('the rule file is checked: unknown keys, a clear threshold on the wrong side, duplicate ids, unknown meters', (t) => {
  const bad = (section: unknown, meterIds?: Set<string>) => {
    const err = t.throws(() => parseAnomalyConfig(section, { at: 'anomaly', defaults: DEFAULTS, ...(meterIds ? { meterIds } : {}) }));
    return (err as { context?: { problems?: Array<{ path: string }> } }).context?.problems?.map((p) => p.path);
  };
  t.deepEqual(bad({ rules: [{ id: 'x', kind: 'voltage', direction: 'sag', pct: 90, clearPct: 93, colour: 1 }] }), ['anomaly.rules[0].colour']);
  t.deepEqual(bad({ rules: [{ id: 'x', kind: 'voltage', direction: 'sag', pct: 90, clearPct: 85 }] }), ['anomaly.rules[0].clearPct']);
  t.deepEqual(bad({ rules: [{ id: 'x', kind: 'zero-use' }, { id: 'x', kind: 'zero-use' }] }), ['anomaly.rules[1].id']);
  t.deepEqual(bad({ feeders: [{ meter: 'f', subMeters: ['a', 'zz'] }] }, new Set(['f', 'a'])), ['anomaly.feeders[0].subMeters']);
  t.is(parseAnomalyConfig(undefined, { defaults: DEFAULTS }).rules.length, DEFAULTS.length);
});
