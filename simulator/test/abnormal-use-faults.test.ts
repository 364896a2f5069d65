import test from 'ava';
import { ManualClock } from '@prepaid-edge/protocols';
import { Simulator } from '../src/simulator.js';
import { loadScenario, type Scenario } from '../src/scenario.js';

const T0 = Date.UTC(2026, 0, 5);
const HOUR = 3_600_000;

function sim(scenario: Scenario, meters = 1) {
  const clock = new ManualClock({ now: T0 });
  return { clock, sim: new Simulator({ profile: 'sdm120', meters, clock, tickMs: 60_000, scenario }) };
}

test('slowMeter registers 80% of the energy; a feeder upstream still sees all of it plus its losses', (t) => {
  const { clock, sim: s } = sim({
    meters: [
      { units: [1], profile: 'sdm630', feeds: [2, 3], lossPct: 5, energyImportWh: 0 },
      { units: [2, 3], load: { type: 'constant', watts: 1000 }, energyImportWh: 0 },
      { units: [3], faults: [{ type: 'slowMeter', factor: 0.8 }] },
    ],
  });
  clock.advance(10 * HOUR);
  t.is(s.trueState(2).snapshot.energyImportWh, 10_000);
  t.is(s.trueState(3).snapshot.energyImportWh, 8_000);
  t.is(s.trueState(3).snapshot.power, 800);
  t.is(s.trueState(1).snapshot.energyImportWh, 21_000); // 2 x 1000 W x 10 h x 1.05
});

test('tap: the load drawn around the meter is not registered, the feeder measures it', (t) => {
  const { clock, sim: s } = sim({
    meters: [
      { units: [1], profile: 'sdm630', feeds: [2], energyImportWh: 0 },
      { units: [2], load: { type: 'constant', watts: 2000 }, energyImportWh: 0 },
    ],
    events: [{ at: 2 * HOUR, units: [2], fault: { type: 'tap', fraction: 0.5 } }],
  });
  clock.advance(2 * HOUR);
  s.applyDueEvents();
  clock.advance(2 * HOUR);
  t.is(s.trueState(2).snapshot.energyImportWh, 4000 + 2000);
  t.is(s.trueState(1).snapshot.energyImportWh, 8000);
});

test('phaseLoss: the phase reads 0 V and carries no load; voltageSag scales the supply', (t) => {
  const { clock, sim: s } = sim({
    meters: [
      { units: [1], profile: 'sdm630', load: { type: 'constant', watts: 3000 }, energyImportWh: 0, faults: [{ type: 'phaseLoss', phase: 2, from: HOUR }] },
      { units: [2], profile: 'sdm120', load: { type: 'constant', watts: 1000 }, faults: [{ type: 'voltageSag', voltagePct: 85 }] },
    ],
  });
  clock.advance(2 * HOUR);
  const snap = s.trueState(1).snapshot;
  t.is(snap.voltage[1], 0);
  t.true(snap.voltage[0]! > 220 && snap.voltage[2]! > 220);
  t.deepEqual(snap.powerPhase, [1000, 0, 1000]);
  t.is(snap.energyImportWh, 3000 + 2000);
  const v = s.trueState(2).snapshot.voltage[0]!;
  t.true(v > 230 * 0.85 - 5 && v < 230 * 0.85 + 5, `sagged voltage ${v}`);
});

test('nightW adds load between local 00:00 and 05:00 only', (t) => {
  const { clock, sim: s } = sim({ utcOffsetMin: 60, meters: [{ units: [1], load: { type: 'constant', watts: 100, nightW: 900 }, energyImportWh: 0 }] });
  clock.advance(24 * HOUR);
  // 24 h x 100 W + 5 h x 900 W (local 00:00-05:00 = 23:00-04:00 UTC)
  t.is(s.trueState(1).snapshot.energyImportWh, 2400 + 4500);
});

test('the abnormal-use scenarios load and build', (t) => {
  for (const name of ['theft-tap', 'slow-meter', 'phase-loss', 'voltage-sag', 'night-use']) {
    const sc = loadScenario(new URL(`../../scenarios/${name}.yaml`, import.meta.url).pathname);
    const s = new Simulator({ clock: new ManualClock({ now: Date.parse(sc.start!) }), scenario: sc });
    t.true(s.meters.length >= 1, name);
  }
});
