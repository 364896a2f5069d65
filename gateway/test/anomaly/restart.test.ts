/** The anomaly state file: an alarm raised before a restart is not raised again after it, and clears once. */
import test from 'ava';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { ManualClock } from '@prepaid-edge/protocols';
import { AnomalyWatch, anomalyStatePath, defaultAnomalyRules } from '../../src/adapters/anomaly/index.js';
import { parseAnomalyConfig } from '../../src/core/anomaly/index.js';
import type { NewEvent } from '../../src/core/model.js';
import { quietLog } from '../uplink/helpers.js';
import { tempDir } from '../store/temp-dir.js';

const MIN = 60_000;

test('restart: the sag raised before it is not raised again; it clears once; baselines are kept', (t) => {
  const file = anomalyStatePath(join(tempDir(t), 'gw.db'));
  const clock = new ManualClock({ now: Date.UTC(2026, 0, 5) });
  const config = parseAnomalyConfig({}, { defaults: defaultAnomalyRules() });
  const events: NewEvent[] = [];
  const watch = () => new AnomalyWatch({ config, zone: 'UTC', clock, log: quietLog(), event: (e) => events.push(e), stateFile: file });
  let wh = 0;
  const feed = (w: AnomalyWatch, minutes: number, volts: number) => {
    for (let i = 0; i < minutes; i++) {
      clock.advance(MIN);
      wh += 10;
      w.onReading({ meter: 'm1', ts: clock.now(), values: { energyImport: wh, power: 600, voltageL1: volts } });
    }
    w.pass();
  };
  const a = watch();
  const days = Array.from({ length: 14 }, (_, i) => ({ importWh: 9000 + i, nightWh: [1500] }));
  a.engine.seedBaseline('m2', days);
  feed(a, 15, 195);
  t.deepEqual(events.map((e) => e.type), ['anomaly']);
  const kept = JSON.parse(readFileSync(file, 'utf8')) as { alarms: Array<{ meter: string; rule: string; active: boolean }> };
  t.like(kept.alarms[0], { meter: 'm1', rule: 'voltage-sag', active: true });

  const b = watch(); // the gateway restarted: same file
  t.deepEqual(b.engine.snapshot().baselines.m2, { weekday: days, weekend: days });
  feed(b, 15, 195);
  t.deepEqual(events.map((e) => e.type), ['anomaly'], 'still sagging after the restart: not raised again');
  feed(b, 15, 231);
  t.deepEqual(events.map((e) => e.type), ['anomaly', 'anomaly-cleared']);
  t.is(events[1]!.data!.since, events[0]!.ts, 'cleared names when it was raised, before the restart');
  t.deepEqual(b.active(), []);
});
