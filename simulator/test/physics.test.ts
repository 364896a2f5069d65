import test from 'ava';
import fc from 'fast-check';
import { MeterPhysics, WMS_PER_WH, splitPower } from '../src/physics/meter-physics.js';
import { createRng } from '../src/physics/random.js';
import { residentialShape, commercialShape } from '../src/physics/load-profiles.js';

const T0 = Date.UTC(2026, 0, 5); // a Monday

test('constant load integrates exactly: 1500 W for 2 h = 3000 Wh', (t) => {
  const p = new MeterPhysics({ seed: 1, unit: 1, phases: 1, startMs: T0, load: { type: 'constant', watts: 1500 }, energyImportWh: 1000 });
  t.is(p.snapshot(T0 + 2 * 3_600_000).energyImportWh, 4000);
  t.is(p.importWms(T0 + 2 * 3_600_000), 4000 * WMS_PER_WH);
});

test('energy is the exact integral of power however often it is sampled (conservation)', (t) => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 20_000 }), { minLength: 1, maxLength: 60 }), fc.integer({ min: 1, max: 1000 }), (steps, seed) => {
      const mk = () => new MeterPhysics({ seed, unit: 3, phases: 3, startMs: T0, tickMs: 1000, load: { type: 'residential' } });
      const sampled = mk();
      const once = mk();
      let now = T0;
      let manual = 0; // W*ms from reading power at every tick boundary
      const ref = mk();
      for (const s of steps) {
        now += s;
        sampled.snapshot(now);
      }
      for (let tt = T0; tt < now; tt += 1000) {
        const end = Math.min(tt + 1000, now);
        manual += ref.snapshot(tt).power * (end - tt);
      }
      const end = now;
      return sampled.importWms(end) === once.importWms(end) && once.importWms(end) === manual;
    }),
    { numRuns: 40 },
  );
  t.pass();
});

test('energy never goes backwards, and an earlier time is a no-op', (t) => {
  const p = new MeterPhysics({ seed: 9, unit: 1, phases: 1, startMs: T0, load: { type: 'ev', sessionsPerDay: 4 } });
  let last = 0;
  for (let i = 1; i < 500; i++) {
    const e = p.snapshot(T0 + i * 37_000).energyImportWh;
    t.true(e >= last);
    last = e;
  }
  t.is(p.snapshot(T0).energyImportWh, last);
});

test('open relay drops the load to zero unless bypassed', (t) => {
  const p = new MeterPhysics({ seed: 2, unit: 1, phases: 1, startMs: T0, load: { type: 'constant', watts: 1000 } });
  p.relayClosed = false;
  t.is(p.snapshot(T0 + 3_600_000).energyImportWh, 0);
  t.is(p.snapshot(T0 + 3_600_000).current[0], 0);
  p.bypass = true;
  t.is(p.snapshot(T0 + 7_200_000).energyImportWh, 1000);
});

test('same seed, same values; different seed, different values', (t) => {
  const run = (seed: number) => {
    const p = new MeterPhysics({ seed, unit: 1, phases: 3, startMs: T0, load: { type: 'commercial' } });
    return Array.from({ length: 50 }, (_, i) => p.snapshot(T0 + 9 * 3_600_000 + i * 60_000)).map((s) => [s.power, s.voltage, s.energyImportWh]);
  };
  t.deepEqual(run(42), run(42));
  t.notDeepEqual(run(42), run(43));
});

test('per-phase energy and power add up to the totals', (t) => {
  const p = new MeterPhysics({ seed: 5, unit: 1, phases: 3, startMs: T0, load: { type: 'constant', watts: 3001 } });
  const s = p.snapshot(T0 + 3_600_000);
  t.is(s.powerPhase.reduce((a, b) => a + b, 0), 3001);
  t.is(s.energyImportPhaseWh.reduce((a, b) => a + b, 0), s.energyImportWh);
  t.deepEqual(splitPower(10, 3), [4, 3, 3]);
});

test('load shapes: residential evening peak above night; commercial closed at weekends', (t) => {
  t.true(residentialShape(19.5) > 0.9);
  t.true(residentialShape(3) < 0.15);
  t.is(commercialShape(12, 1), 1);
  t.is(commercialShape(12, 0), 0.1);
});

test('rng streams are independent per meter and reproducible', (t) => {
  const a = createRng(1, 'physics', 1);
  const b = createRng(1, 'physics', 1);
  const c = createRng(1, 'physics', 2);
  const xs = [a(), a(), a()];
  t.deepEqual(xs, [b(), b(), b()]);
  t.notDeepEqual(xs, [c(), c(), c()]);
  t.true(xs.every((x) => x >= 0 && x < 1));
});
