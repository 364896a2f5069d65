/**
 * A noisy line is not a dead meter: on one RS-485 bus (a socat pty pair), with the shipped retry
 * and timeout defaults, a meter answering 20% of its replies with a bad CRC keeps its poll rate
 * like the healthy ones, while a silent meter on the same bus backs off and goes comm-lost.
 */
import { testWith } from '@prepaid-edge/testkit/system-tools';
import { PREFIX } from '../uplink/helpers.js';
import { fourMeterRtuBus, pollWindow } from './rtu-four-meters.js';

const test = testWith(['mosquitto', 'socat']);
const WINDOW_MS = 20_000;
const POLL_MS = 1000;

test('noisy meter (20% bad CRC) and live meters keep >= 90% of their poll rate next to a dead one; only the dead one backs off', async (t) => {
  t.timeout(90_000);
  // Shipped defaults for retries, timeout, backoff and comm-lost: only the bus line and meters are given.
  const rig = await fourMeterRtuBus(t, 'e2e-noisy', { pollMs: POLL_MS });
  const { gwId, sub, gw, perMeter } = rig;
  t.is(rig.cfg.meters[3]!.retries, 1, 'the default retry budget');
  const { inWindow } = await pollWindow(rig, WINDOW_MS, 1500); // 1.5 s: the last readings cross the outbox and the broker

  const expected = Math.floor(WINDOW_MS / POLL_MS);
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
