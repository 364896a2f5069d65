/** E2E 2: four sdm120 meters on one RS-485 bus (a socat pty pair), one dead and one noisy. */
import { join } from 'node:path';
import { Simulator } from '@prepaid-edge/simulator';
import { startMosquitto } from '@prepaid-edge/testkit/mosquitto';
import { testWith } from '@prepaid-edge/testkit/system-tools';
import { tempDir } from '../store/temp-dir.js';
import { PREFIX, subscribe, waitFor } from '../uplink/helpers.js';
import { configOf, rawConfig, sleep, startGateway } from './rig.js';
import { ptyPair } from '@prepaid-edge/testkit/pty-pair';

const test = testWith(['mosquitto', 'socat']);
const WINDOW_MS = 15_000;
const POLL_MS = 1000;

test('RTU: a dead meter and a 20% CRC-noisy meter do not slow the live ones; comm-lost and CRC health are reported', async (t) => {
  t.timeout(60_000);
  const broker = await startMosquitto(t);
  const sub = await subscribe(t, broker.url);
  const pty = await ptyPair();
  t.teardown(() => pty.close());
  const sim = new Simulator({ profile: 'sdm120', meters: 4, seed: 'e2e-rtu', baudRate: 9600, parity: 'none' });
  sim.addFault(3, { type: 'noReply', rate: 1 });
  sim.addFault(4, { type: 'badCrc', rate: 0.2 });
  await sim.openSerial(pty.a);
  t.teardown(() => sim.close());

  const gwId = 'e2e-rtu';
  const cfg = configOf(
    rawConfig(gwId, join(tempDir(t), 'gw.db'), broker.url, {
      buses: [{ id: 'rs485', type: 'rtu', path: pty.b, baudRate: 9600, parity: 'none', timeoutMs: 300 }],
      meters: [1, 2, 3, 4].map((u) => ({ id: `m${u}`, bus: 'rs485', unit: u, profile: 'sdm120', pollMs: POLL_MS, commLostAfter: 2 })),
    }),
  );
  const gw = await startGateway(t, cfg);
  const perMeter = (m: string) => sub.readings(gwId).filter((r) => r.meter === m);
  await waitFor('first reading of every live meter', () => ['m1', 'm2', 'm4'].every((m) => perMeter(m).length > 0));
  const from = Date.now();
  await sleep(WINDOW_MS);
  const to = Date.now();
  await sleep(1000); // let the last readings of the window cross the broker

  const expected = Math.floor(WINDOW_MS / POLL_MS);
  const inWindow = (m: string) => perMeter(m).filter((r) => r.ts >= from && r.ts < to).length;
  for (const m of ['m1', 'm2']) {
    const n = inWindow(m);
    t.true(n >= Math.ceil(0.9 * expected), `${m}: ${n} readings in ${WINDOW_MS} ms, expected >= ${Math.ceil(0.9 * expected)} of ${expected}`);
  }
  // The noisy meter itself loses the polls whose retry also failed, and backs off after them.
  t.log(`noisy m4: ${inWindow('m4')} of ${expected} readings; health ${JSON.stringify(sub.on(`${PREFIX}/${gwId}/meters/m4/health`).at(-1)?.json)}`);
  t.true(inWindow('m4') > 0, 'the noisy meter still delivers readings');
  t.is(perMeter('m3').length, 0, 'the dead meter produced no reading');
  const events = sub.on(`${PREFIX}/${gwId}/events`).map((e) => e.json);
  t.true(events.some((e) => e.type === 'comm-lost' && e.meter === 'm3'), `comm-lost for m3 in ${JSON.stringify(events)}`);
  t.false(events.some((e) => e.type === 'comm-lost' && e.meter !== 'm3'), 'no other meter was declared lost');

  const health = sub.on(`${PREFIX}/${gwId}/meters/m4/health`).at(-1)?.json as { errors?: Record<string, number>; state?: string } | undefined;
  t.true((health?.errors?.E_MODBUS_CRC ?? 0) > 0, `m4 health shows CRC errors: ${JSON.stringify(health)}`);
  t.is(health?.state, 'ok', 'retries hide the noise: the noisy meter stays ok');
  const status = await gw.status();
  t.like(status.meters.find((m) => m.meter === 'm3'), { state: 'lost' });
  t.true((status.buses[0]?.errors.E_MODBUS_CRC ?? 0) > 0, 'bus health sums the CRC errors');
});
