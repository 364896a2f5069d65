/**
 * A noisy line is not a dead meter: on one RS-485 bus (a socat pty pair), with the shipped retry
 * and timeout defaults, a meter answering 20% of its replies with a bad CRC keeps its poll rate
 * like the healthy ones, while a silent meter on the same bus backs off and goes comm-lost.
 */
import { join } from 'node:path';
import { Simulator } from '@prepaid-edge/simulator';
import { startMosquitto } from '@prepaid-edge/testkit/mosquitto';
import { testWith } from '@prepaid-edge/testkit/system-tools';
import { tempDir } from '../store/temp-dir.js';
import { PREFIX, subscribe, waitFor } from '../uplink/helpers.js';
import { configOf, rawConfig, sleep, startGateway } from './rig.js';
import { ptyPair } from '@prepaid-edge/testkit/pty-pair';

const test = testWith(['mosquitto', 'socat']);
const WINDOW_MS = 20_000;
const POLL_MS = 1000;

test('noisy meter (20% bad CRC) and live meters keep >= 90% of their poll rate next to a dead one; only the dead one backs off', async (t) => {
  t.timeout(90_000);
  const broker = await startMosquitto(t);
  const sub = await subscribe(t, broker.url);
  const pty = await ptyPair();
  t.teardown(() => pty.close());
  const sim = new Simulator({ profile: 'sdm120', meters: 4, seed: 'e2e-noisy', baudRate: 9600, parity: 'none' });
  sim.addFault(3, { type: 'noReply', rate: 1 });
  sim.addFault(4, { type: 'badCrc', rate: 0.2 });
  await sim.openSerial(pty.a);
  t.teardown(() => sim.close());

  const gwId = 'e2e-noisy';
  // Shipped defaults for retries, timeout, backoff and comm-lost: only the bus line and meters are given.
  const cfg = configOf(
    rawConfig(gwId, join(tempDir(t), 'gw.db'), broker.url, {
      buses: [{ id: 'rs485', type: 'rtu', path: pty.b, baudRate: 9600, parity: 'none' }],
      meters: [1, 2, 3, 4].map((u) => ({ id: `m${u}`, bus: 'rs485', unit: u, profile: 'sdm120', pollMs: POLL_MS })),
    }),
  );
  t.is(cfg.meters[3]!.retries, 1, 'the default retry budget');
  const gw = await startGateway(t, cfg);
  const perMeter = (m: string) => sub.readings(gwId).filter((r) => r.meter === m);
  await waitFor('first reading of every live meter', () => ['m1', 'm2', 'm4'].every((m) => perMeter(m).length > 0));
  const from = Date.now();
  await sleep(WINDOW_MS);
  const to = Date.now();
  await sleep(1500); // let the last readings of the window cross the outbox and the broker

  const expected = Math.floor(WINDOW_MS / POLL_MS);
  const inWindow = (m: string) => perMeter(m).filter((r) => r.ts >= from && r.ts < to).length;
  const counts = Object.fromEntries(['m1', 'm2', 'm3', 'm4'].map((m) => [m, inWindow(m)]));
  t.log(`readings in ${WINDOW_MS} ms (expected ${expected} each): ${JSON.stringify(counts)}`);
  for (const m of ['m1', 'm2', 'm4']) {
    t.true(counts[m]! >= Math.ceil(0.9 * expected), `${m}: ${counts[m]} readings, expected >= ${Math.ceil(0.9 * expected)} of ${expected}`);
  }
  t.is(perMeter('m3').length, 0, 'the dead meter produced no reading');

  const status = await gw.status();
  const noisy = status.meters.find((m) => m.meter === 'm4')!;
  const dead = status.meters.find((m) => m.meter === 'm3')!;
  t.true((noisy.errors.E_MODBUS_CRC ?? 0) >= 10, `the noise was real: ${JSON.stringify(noisy.errors)}`);
  t.like(noisy, { state: 'ok', backoffMs: 0 }, 'CRC errors never back the noisy meter off');
  t.is(dead.state, 'lost');
  t.true(dead.backoffMs > POLL_MS, `the dead meter is backed off (${dead.backoffMs} ms)`);
  t.true(dead.polls < expected / 2, `the dead meter is polled far less than its rate (${dead.polls} polls)`);
  const events = sub.on(`${PREFIX}/${gwId}/events`).map((e) => e.json as { type?: string; meter?: string });
  t.true(events.some((e) => e.type === 'comm-lost' && e.meter === 'm3'), 'comm-lost for the dead meter');
  t.false(events.some((e) => e.type === 'comm-lost' && e.meter !== 'm3'), 'no other meter was declared lost');
});
