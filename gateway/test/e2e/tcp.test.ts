/** E2E 1: three sdm630 meters over Modbus TCP -> Gateway -> a real mosquitto -> a subscriber. */
import { join } from 'node:path';
import { ManualClock } from '@prepaid-edge/protocols';
import { Simulator, type PhysicsSnapshot } from '@prepaid-edge/simulator';
import { startMosquitto } from '@prepaid-edge/testkit/mosquitto';
import { testWith } from '@prepaid-edge/testkit/system-tools';
import { tempDir } from '../store/temp-dir.js';
import { PREFIX, range, subscribe, waitFor } from '../uplink/helpers.js';
import { configOf, rawConfig, startGateway } from './rig.js';

const test = testWith(['mosquitto']);

/** A reading matches a true state within the rounding of the wire format (f32, kWh on the wire). */
function matches(v: Record<string, number>, s: PhysicsSnapshot): boolean {
  const near = (a: number | undefined, b: number | undefined, tol: number) => a !== undefined && b !== undefined && Math.abs(a - b) <= tol;
  return (
    near(v.energyImport, s.energyImportWh, Math.max(2, s.energyImportWh * 2e-7 * 1000)) &&
    near(v.voltageL1, s.voltage[0], 0.01) &&
    near(v.voltageL3, s.voltage[2], 0.01) &&
    near(v.power, s.power, 1)
  );
}

test('TCP: 3 sdm630 meters, contiguous seq per meter, values equal the simulator truth, status online retained', async (t) => {
  t.timeout(60_000);
  const broker = await startMosquitto(t);
  const sub = await subscribe(t, broker.url);
  // A hand-moved clock: the simulated world stands still between our steps, so every reading must
  // equal one of the true states we sampled (before or after the step).
  const clock = new ManualClock({ now: Date.UTC(2026, 5, 1, 12) });
  const sim = new Simulator({ profile: 'sdm630', meters: 3, seed: 'e2e-tcp', clock });
  const port = await sim.listenTcp(0);
  t.teardown(() => sim.close());
  const gwId = 'e2e-tcp';
  const cfg = configOf(
    rawConfig(gwId, join(tempDir(t), 'gw.db'), broker.url, {
      buses: [{ id: 'tcp1', type: 'tcp', host: '127.0.0.1', port, timeoutMs: 500 }],
      meters: [1, 2, 3].map((u) => ({ id: `m${u}`, bus: 'tcp1', unit: u, profile: 'sdm630', pollMs: 200 })),
    }),
  );
  const truthA = sim.states().map((s) => s.snapshot);
  await startGateway(t, cfg);
  const perMeter = (m: string) => sub.readings(gwId).filter((r) => r.meter === m);
  await waitFor('3 readings per meter before the clock step', () => [1, 2, 3].every((u) => perMeter(`m${u}`).length >= 3));
  const beforeStep = new Map([1, 2, 3].map((u) => [`m${u}`, perMeter(`m${u}`).length]));
  clock.advance(3_600_000); // an hour of load: energy grows
  const truthB = sim.states().map((s) => s.snapshot);
  await waitFor('6 more readings per meter after the step', () => [1, 2, 3].every((u) => perMeter(`m${u}`).length >= beforeStep.get(`m${u}`)! + 6));

  for (const u of [1, 2, 3]) {
    const rs = perMeter(`m${u}`);
    t.deepEqual(rs.map((r) => r.seq), range(1, rs.length), `m${u}: seq contiguous from 1, no duplicates`);
    const a = truthA[u - 1]!;
    const b = truthB[u - 1]!;
    t.true(b.energyImportWh > a.energyImportWh, `m${u}: the hour added energy`);
    const unexplained = rs.filter((r) => !matches(r.values, a) && !matches(r.values, b));
    t.deepEqual(unexplained, [], `m${u}: every reading equals a true state (A=${JSON.stringify(a)})`);
    t.true(matches(rs.at(-1)!.values, b), `m${u}: the latest reading shows the state after the step`);
    t.true(rs.every((r) => Number.isInteger(r.values.energyImport)), 'energy is an integer in Wh');
  }
  const status = sub.on(`${PREFIX}/${gwId}/status`);
  t.like(status.at(-1)?.json, { state: 'online' });
  const late = await subscribe(t, broker.url);
  await waitFor('retained status for a late subscriber', () => late.on(`${PREFIX}/${gwId}/status`).length > 0);
  t.like(late.on(`${PREFIX}/${gwId}/status`)[0], { retain: true, json: { state: 'online' } });
});
