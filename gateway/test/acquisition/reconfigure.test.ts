/** Acquisition.reconfigure on a ManualClock: only what changed stops and starts; an unchanged meter keeps its poller and its schedule. */
import test from 'ava';
import YAML from 'yaml';
import { ManualClock } from '@prepaid-edge/protocols';
import { Acquisition } from '../../src/adapters/acquisition/acquisition.js';
import type { BusConfig } from '../../src/core/config/gateway-config.js';
import { parseConfig } from '../../src/app/config/load-config.js';
import type { NewReading } from '../../src/core/model.js';
import { fakeMaster, VALUES } from './fake-master.js';

const T0 = Date.UTC(2026, 3, 1, 6);

const config = (buses: unknown[], meters: unknown[]) =>
  parseConfig(YAML.stringify({ gateway: { id: 'gw' }, storage: { path: '/tmp/unused.db' }, mqtt: { url: 'mqtt://127.0.0.1:1' }, buses, meters }));

const A = { id: 'a', type: 'tcp', host: '127.0.0.1', port: 1 };
const B = { id: 'b', type: 'tcp', host: '127.0.0.1', port: 2 };
const meter = (id: string, bus: string, unit: number) => ({ id, bus, unit, profile: 'sdm630', pollMs: 1000 });

test('reconfigure: an unchanged bus and meter keep polling on their schedule; a changed bus is reopened with its meters; a new meter starts, a removed one stops', async (t) => {
  const clock = new ManualClock({ now: T0, monotonic: 0 });
  const opened: string[] = [];
  const closed: string[] = [];
  const readings: NewReading[] = [];
  const acq = new Acquisition(config([A, B], [meter('a1', 'a', 1), meter('b1', 'b', 1), meter('b2', 'b', 2)]), {
    clock,
    master: (bus: BusConfig) => {
      opened.push(`${bus.id}:${bus.type === 'tcp' ? bus.port : ''}`);
      const { master } = fakeMaster({ ...VALUES, frequency: 50 });
      return { ...master, close: async () => void closed.push(bus.id) };
    },
    reading: (r) => readings.push(r),
    event: () => undefined,
  });
  acq.start();
  await clock.advanceAsync(2500);
  const a1 = acq.pollers.get('a1');
  const before = readings.filter((r) => r.meter === 'a1').map((r) => r.ts - T0);
  t.deepEqual(before, [0, 1000, 2000]);

  // Bus b moves to another port, b2 goes, c1 comes on bus a.
  const moved = await acq.reconfigure(config([A, { ...B, port: 3 }], [meter('a1', 'a', 1), meter('b1', 'b', 1), meter('c1', 'a', 5)]));
  t.deepEqual(moved.stopped.sort(), ['b1', 'b2']);
  t.deepEqual(moved.started.sort(), ['b1', 'c1']);
  t.deepEqual(moved.kept, ['a1']);
  t.deepEqual(opened, ['a:1', 'b:2', 'b:3'], 'bus a was not opened again; b on its new port');
  t.deepEqual(closed, ['b'], 'only bus b was closed');
  t.is(acq.pollers.get('a1'), a1, 'a1 keeps its poller');
  t.false(acq.pollers.has('b2'));
  t.deepEqual(acq.buses.get('a')!.pollers.map((p) => p.driver.meter.id), ['a1', 'c1']);

  const mark = readings.length;
  await clock.advanceAsync(2000);
  const after = readings.slice(mark);
  t.deepEqual(after.filter((r) => r.meter === 'a1').map((r) => r.ts - T0), [3000, 4000], 'a1 on its old schedule: no extra poll at the reload');
  t.true(after.some((r) => r.meter === 'c1') && after.some((r) => r.meter === 'b1'), 'the new and the reopened meters poll');
  t.false(after.some((r) => r.meter === 'b2'), 'the removed meter does not');
  await acq.stop();
  t.is(clock.pending(), 0);
});
