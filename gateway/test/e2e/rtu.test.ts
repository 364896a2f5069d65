/** E2E 2: four sdm120 meters on one RS-485 bus (a socat pty pair), one dead and one noisy. */
import { testWith } from '@prepaid-edge/testkit/system-tools';
import { PREFIX } from '../uplink/helpers.js';
import { fourMeterRtuBus, pollWindow } from './rtu-four-meters.js';

const test = testWith(['mosquitto', 'socat']);
const WINDOW_MS = 15_000;
const POLL_MS = 1000;

test('RTU: a dead meter and a 20% CRC-noisy meter do not slow the live ones; comm-lost and CRC health are reported', async (t) => {
  t.timeout(60_000);
  const rig = await fourMeterRtuBus(t, 'e2e-rtu', { pollMs: POLL_MS, bus: { timeoutMs: 300 }, meter: { commLostAfter: 2 } });
  const { gwId, sub, gw, perMeter } = rig;
  const { inWindow } = await pollWindow(rig, WINDOW_MS, 1000);

  const expected = Math.floor(WINDOW_MS / POLL_MS);
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
