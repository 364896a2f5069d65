/**
 * The gateway with the simulator over Modbus TCP, a real SQLite outbox and a real mosquitto: a tap
 * around one sub-meter of a feeder and a voltage sag on another meter each raise one `anomaly`
 * event on MQTT; when the simulator's faults are cleared each clears once (`anomaly-cleared`).
 * Simulated time runs 60x faster, so every 10 s pass judges 10 simulated minutes of energy.
 */
import { join } from 'node:path';
import { Simulator } from '@prepaid-edge/simulator';
import { startMosquitto } from '@prepaid-edge/testkit/mosquitto';
import { testWith } from '@prepaid-edge/testkit/system-tools';
import { tempDir } from '../store/temp-dir.js';
import { PREFIX, subscribe, waitFor } from '../uplink/helpers.js';
import { configOf, rawConfig, startGateway } from '../e2e/rig.js';

const test = testWith(['mosquitto']);

test('theft by a tap and a voltage sag: raised once on MQTT, cleared once after the faults end', async (t) => {
  t.timeout(120_000);
  const broker = await startMosquitto(t);
  const sub = await subscribe(t, broker.url);
  const sim = new Simulator({
    speed: 60,
    seed: 'anomaly-e2e',
    scenario: {
      meters: [
        { units: [1], profile: 'sdm630', feeds: [2, 3], lossPct: 2 },
        { units: [2, 3, 4], profile: 'sdm120', load: { type: 'constant', watts: 2000 } },
        { units: [3], faults: [{ type: 'tap', fraction: 0.6 }] },
        { units: [4], faults: [{ type: 'voltageSag', voltagePct: 85 }] },
      ],
    },
  });
  const port = await sim.listenTcp(0);
  t.teardown(() => sim.close());
  const gwId = 'e2e-anomaly';
  const cfg = configOf(
    rawConfig(gwId, join(tempDir(t), 'gw.db'), broker.url, {
      buses: [{ id: 'tcp1', type: 'tcp', host: '127.0.0.1', port, timeoutMs: 500 }],
      meters: [
        { id: 'feeder', bus: 'tcp1', unit: 1, profile: 'sdm630', pollMs: 500 },
        ...[2, 3, 4].map((u) => ({ id: `m${u}`, bus: 'tcp1', unit: u, profile: 'sdm120', pollMs: 500 })),
      ],
      anomaly: {
        passSeconds: 10,
        maxGapSeconds: 5,
        meters: { feeder: { phases: 3 } },
        feeders: [{ meter: 'feeder', subMeters: ['m2', 'm3'] }],
        rules: [
          { id: 'sag', kind: 'voltage', direction: 'sag', pct: 90, clearPct: 93, minSeconds: 2 },
          { id: 'balance', kind: 'energy-balance', lossPct: 6, clearPct: 4, minFeederWh: 10 },
          { id: 'phase', kind: 'phase-loss', minSeconds: 2 },
        ],
      },
    }),
  );
  await startGateway(t, cfg);
  const events = () => sub.on(`${PREFIX}/${gwId}/events`).map((m) => m.json as { type: string; meter?: string; data: Record<string, unknown> });
  const anomalies = () => events().filter((e) => e.type.startsWith('anomaly'));
  await waitFor('both anomalies raised', () => anomalies().length >= 2, 40_000);
  const raised = anomalies();
  t.deepEqual(raised.map((e) => `${e.type}:${e.meter}:${e.data.rule}`).sort(), ['anomaly:feeder:balance', 'anomaly:m4:sag']);
  const balance = raised.find((e) => e.data.rule === 'balance')!;
  // 2 x 2000 W x 1.02 at the feeder, 2000 + 800 W metered: 31% unaccounted
  t.true(Math.abs((balance.data.value as number) - 31.4) < 2, `loss ${balance.data.value}%`);
  t.deepEqual(balance.data.subMeters, ['m2', 'm3']);
  t.like(raised.find((e) => e.data.rule === 'sag')!.data, { kind: 'voltage', severity: 'warning', threshold: 207 });

  sim.clearFaults(3);
  sim.clearFaults(4);
  await waitFor('both anomalies cleared', () => anomalies().length >= 4, 40_000);
  const cleared = anomalies().slice(2);
  t.deepEqual(cleared.map((e) => `${e.type}:${e.meter}:${e.data.rule}`).sort(), ['anomaly-cleared:feeder:balance', 'anomaly-cleared:m4:sag']);
  for (const c of cleared) t.is(typeof c.data.since, 'number');
  // nothing raised twice, and the healthy three-phase feeder never showed a phase loss
  await new Promise((r) => setTimeout(r, 11_000));
  t.is(anomalies().length, 4);
});
