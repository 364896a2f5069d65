/** Acquisition on a ManualClock: polls, their cadence and the readings' timestamps all come from the injected clock; no test sleeps. */
import test from 'ava';
import YAML from 'yaml';
import { ManualClock } from '@prepaid-edge/protocols';
import { Acquisition } from '../../src/adapters/acquisition/acquisition.js';
import { BusQueue } from '../../src/adapters/acquisition/bus-queue.js';
import { parseConfig } from '../../src/app/config/load-config.js';
import type { NewReading } from '../../src/core/model.js';
import { fakeMaster, VALUES } from './fake-master.js';

const T0 = Date.UTC(2026, 3, 1, 6);

function rig() {
  const cfg = parseConfig(
    YAML.stringify({
      gateway: { id: 'gw' },
      storage: { path: '/tmp/unused.db' },
      mqtt: { url: 'mqtt://127.0.0.1:1' },
      buses: [{ id: 'b', type: 'tcp', host: '127.0.0.1', port: 1 }],
      meters: [
        { id: 'm1', bus: 'b', unit: 7, profile: 'sdm630', pollMs: 1000 },
        { id: 'm2', bus: 'b', unit: 8, profile: 'sdm630', pollMs: 1000 },
      ],
    }),
  );
  const clock = new ManualClock({ now: T0, monotonic: 0 });
  const { master, reads } = fakeMaster({ ...VALUES, frequency: 50 }); // plausible, so every poll is a reading
  const readings: NewReading[] = [];
  const acq = new Acquisition(cfg, { clock, master: () => master, reading: (r) => readings.push(r), event: () => undefined });
  return { acq, clock, reads, readings };
}

test('nothing is polled until the clock moves; then each meter once per pollMs, stamped with the clock', async (t) => {
  const { acq, clock, reads, readings } = rig();
  acq.start();
  await Promise.resolve();
  t.deepEqual(reads, [], 'not even the first poll runs before the clock moves');
  await clock.advanceAsync(0);
  t.deepEqual(reads, ['input 0+76', 'input 342+10', 'holding 18+12'], 'm1 starts at once (offset 0)');
  await clock.advanceAsync(999);
  t.deepEqual(readings.map((r) => [r.meter, r.ts - T0]), [['m1', 0], ['m2', 500]], 'm2 staggered by half the interval');
  await clock.advanceAsync(3000);
  t.deepEqual(
    readings.map((r) => `${r.meter}@${r.ts - T0}`),
    ['m1@0', 'm2@500', 'm1@1000', 'm2@1500', 'm1@2000', 'm2@2500', 'm1@3000', 'm2@3500'],
  );
  await acq.stop();
  t.is(clock.pending(), 0, 'stop leaves no timer behind');
});

test('the inter-frame gap is timed on the queue clock', async (t) => {
  const clock = new ManualClock();
  const q = new BusQueue(30, clock);
  const order: string[] = [];
  const a = q.run(async () => void order.push('a'));
  const b = q.run(async () => void order.push('b'));
  await a;
  await clock.advanceAsync(29);
  t.deepEqual(order, ['a'], 'b waits for the gap after a');
  await clock.advanceAsync(1);
  await b;
  t.deepEqual(order, ['a', 'b']);
  const closing = q.close();
  await clock.advanceAsync(30);
  await closing;
  t.is(q.transactions, 2);
});
