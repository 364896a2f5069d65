/** E2E: two DL/T 645 meters on a serial line (socat pty pair) -> Gateway -> a real mosquitto -> a subscriber. */
import { join } from 'node:path';
import { Simulator } from '@prepaid-edge/simulator';
import { startMosquitto } from '@prepaid-edge/testkit/mosquitto';
import { testWith } from '@prepaid-edge/testkit/system-tools';
import { tempDir } from '../store/temp-dir.js';
import { range, subscribe, waitFor } from '../uplink/helpers.js';
import { configOf, rawConfig, startGateway } from './rig.js';
import { ptyPair } from '@prepaid-edge/testkit/pty-pair';

const test = testWith(['mosquitto', 'socat']);

test('DL/T 645: readings of two meters arrive on MQTT in canonical units with contiguous seq', async (t) => {
  t.timeout(60_000);
  const broker = await startMosquitto(t);
  const sub = await subscribe(t, broker.url);
  const pty = await ptyPair();
  t.teardown(() => pty.close());
  // DL/T 645's usual line: 2400 baud 8E1, with wire timing so the replies take their real time.
  const sim = new Simulator({ profile: 'dlt645', meters: 2, seed: 'e2e-dlt645', baudRate: 2400, parity: 'even', timing: 'wire' });
  await sim.openSerial(pty.a);
  t.teardown(() => sim.close());

  const gwId = 'e2e-dlt645';
  const cfg = configOf(
    rawConfig(gwId, join(tempDir(t), 'gw.db'), broker.url, {
      buses: [{ id: 'dlt', type: 'dlt645', path: pty.b, baudRate: 2400, parity: 'even', timeoutMs: 1000 }],
      meters: [1, 2].map((u) => ({ id: `d${u}`, bus: 'dlt', address: String(u).padStart(12, '0'), profile: 'dlt645', pollMs: 3000 })),
    }),
  );
  const gw = await startGateway(t, cfg);
  const perMeter = (m: string) => sub.readings(gwId).filter((r) => r.meter === m);
  await waitFor('4 readings per DL/T 645 meter', () => ['d1', 'd2'].every((m) => perMeter(m).length >= 4), 40_000);

  for (const [m, unit] of [['d1', 1], ['d2', 2]] as const) {
    const rs = perMeter(m);
    t.deepEqual(rs.map((r) => r.seq), range(1, rs.length), `${m}: seq contiguous from 1`);
    const truth = sim.trueState(unit).snapshot;
    for (const r of rs) {
      t.deepEqual(Object.keys(r.values).sort(), ['currentL1', 'energyExport', 'energyImport', 'frequency', 'power', 'powerFactor', 'voltageL1']);
      t.true(Number.isInteger(r.values.energyImport) && r.values.energyImport! % 10 === 0, `${m}: energy in whole Wh, 10 Wh steps`);
      t.true(r.values.energyImport! <= truth.energyImportWh, `${m}: never ahead of the meter`);
    }
    const energies = rs.map((r) => r.values.energyImport!);
    t.deepEqual(energies, [...energies].sort((a, b) => a - b), `${m}: energy never goes backwards`);
    // The last reading is a few seconds old at most: within (max power x age) of the truth now.
    t.true(truth.energyImportWh - energies.at(-1)! <= 10 + (10_000 * 10) / 3600, `${m}: ${energies.at(-1)} vs true ${truth.energyImportWh}`);
  }
  const status = await gw.status();
  t.log(`poll latency (7 DIs at 2400 baud 8E1, wire timing): ${status.meters.map((h) => `${h.meter} avg ${h.avgLatencyMs} ms`).join(', ')}`);
  for (const m of ['d1', 'd2']) t.like(status.meters.find((h) => h.meter === m), { state: 'ok', failures: 0 });
});
