/** read / watch / relay on simulated buses (socat ptys): a Modbus RTU bus and a DL/T 645 bus. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import YAML from 'yaml';
import { SerialPort } from 'serialport';
import { Simulator } from '@prepaid-edge/simulator';
import { parseConfig } from '../../src/app/config/load-config.js';
import { openLedger } from '../../src/adapters/store/ledger/index.js';
import { openOutbox } from '../../src/adapters/store/index.js';
import { ptyPair } from '@prepaid-edge/testkit/pty-pair';
import { testWith } from '@prepaid-edge/testkit/system-tools';
import { tempDir } from '../store/temp-dir.js';
import { cli } from './run-cli.js';

async function rig(t: import('ava').ExecutionContext) {
  const rtu = await ptyPair();
  t.teardown(() => rtu.close());
  const dlt = await ptyPair();
  t.teardown(() => dlt.close());
  const sim = new Simulator({ meters: 0, seed: 'meter-cli', scenario: { meters: [{ units: [1], profile: 'prepaid' }, { units: [2], profile: 'sdm120' }] } });
  await sim.openSerial(rtu.a, { baudRate: 9600, parity: 'even' });
  t.teardown(() => sim.close());
  const dsim = new Simulator({ profile: 'dlt645', meters: 1, seed: 'meter-cli-dlt' });
  await dsim.openSerial(dlt.a, { baudRate: 2400, parity: 'even' });
  t.teardown(() => dsim.close());
  const dir = tempDir(t);
  const raw = {
    gateway: { id: 'gw-cli' },
    storage: { path: join(dir, 'gw.db') },
    mqtt: { url: 'mqtt://127.0.0.1:1' },
    buses: [
      { id: 'rs485', type: 'rtu', path: rtu.b, baudRate: 9600, parity: 'even', timeoutMs: 500 },
      { id: 'dlt', type: 'dlt645', path: dlt.b, baudRate: 2400, parity: 'even', timeoutMs: 1500 },
    ],
    meters: [
      { id: 'p1', bus: 'rs485', unit: 1, profile: 'prepaid', pollMs: 1000 },
      { id: 's2', bus: 'rs485', unit: 2, profile: 'sdm120', pollMs: 1000 },
      { id: 'd1', bus: 'dlt', address: '000000000001', profile: 'dlt645', pollMs: 6000 },
    ],
  };
  const file = join(dir, 'gw.yaml');
  writeFileSync(file, YAML.stringify(raw));
  return { sim, dsim, file, cfg: parseConfig(YAML.stringify(raw), file), rtuPath: rtu.b };
}

testWith(['socat'])('read, watch and relay act directly on the configured buses', async (t) => {
  t.timeout(300_000);
  const { sim, dsim, file, cfg, rtuPath } = await rig(t);

  const before = sim.trueState(2).snapshot.energyImportWh;
  const r = await cli(['read', '-c', file, '--meter', 's2', '--json']);
  const after = sim.trueState(2).snapshot.energyImportWh;
  t.is(r.code, 0, r.stderr);
  const read = JSON.parse(r.stdout) as { meter: string; values: Record<string, number> };
  t.is(read.meter, 's2');
  // The meter's energy while the command ran (float32 kWh on the wire: a few Wh of rounding).
  t.true(read.values.energyImport! >= before - 4 && read.values.energyImport! <= after + 4, `${before} <= ${read.values.energyImport} <= ${after}`);
  t.true(read.values.voltageL1! > 200 && read.values.voltageL1! < 260);

  const d = await cli(['read', '-c', file, '--meter', 'd1']);
  t.is(d.code, 0, d.stderr);
  t.regex(d.stdout, /^d1\n/);
  t.regex(d.stdout, /energyImport\s+\d+ Wh/);
  t.true(dsim.bus.stats.replies > 0, 'the DL/T 645 meter answered');

  const w = await cli(['watch', '-c', file, '--meter', 'p1,s2', '--interval', '200', '--count', '2']);
  t.is(w.code, 0, w.stderr);
  const tables = w.stdout.trim().split('\n\n');
  t.is(tables.length, 2, 'one table per poll when stdout is not a terminal');
  for (const tb of tables) {
    t.regex(tb, /^\d{4}-\d\d-\d\dT/);
    t.regex(tb, /\nmeter\s+.*energyImport \[Wh\]/);
    t.regex(tb, /\np1\s+\d/);
    t.regex(tb, /\ns2\s+\d/);
  }

  // The database exists (as after the service's first start): the relay action is audited.
  await (await openOutbox(cfg.storage)).close();
  t.true(sim.meter(1).trueState().snapshot.relayClosed);
  const no = await cli(['relay', 'open', '-c', file, '--meter', 'p1'], { input: 'n\n' });
  t.is(no.code, 1);
  t.regex(no.stderr, /OPEN the relay .* meter p1\? \[y\/N\] cancelled/);
  t.true(sim.meter(1).trueState().snapshot.relayClosed, 'nothing done without a yes');

  const yes = await cli(['relay', 'open', '-c', file, '--meter', 'p1'], { input: 'y\n' });
  t.is(yes.code, 0, yes.stderr);
  t.regex(yes.stdout, /p1: disconnected \(verified by readback\)/);
  t.false(sim.meter(1).trueState().snapshot.relayClosed);
  const st = await cli(['relay', 'status', '-c', file, '--meter', 'p1']);
  t.regex(st.stdout, /p1: disconnected/);
  const close = await cli(['relay', 'close', '-c', file, '--meter', 'p1', '--yes']);
  t.is(close.code, 0, close.stderr);
  t.true(sim.meter(1).trueState().snapshot.relayClosed);

  const ledger = await openLedger(cfg.storage.path);
  const audit = await ledger.auditLog({ meter: 'p1' });
  await ledger.close();
  t.deepEqual(audit.map((a) => [a.action, a.cause, a.detail.readback]), [
    ['relay-open', 'technician', 'disconnected'],
    ['relay-close', 'technician', 'connected'],
  ]);

  const sdm = await cli(['relay', 'status', '-c', file, '--meter', 's2']);
  t.is(sdm.code, 2);
  t.regex(sdm.stderr, /E_RELAY_UNSUPPORTED/);

  // The service holds the port: the command says what to do.
  const holder = new SerialPort({ path: rtuPath, baudRate: 9600, autoOpen: false });
  await new Promise<void>((res, rej) => holder.open((e) => (e ? rej(e) : res())));
  t.teardown(() => new Promise<void>((res) => (holder.isOpen ? holder.close(() => res()) : res())));
  const busy = await cli(['read', '-c', file, '--meter', 's2']);
  t.is(busy.code, 2);
  t.regex(busy.stderr, /E_BUS_UNAVAILABLE/);
  t.regex(busy.stderr, /stop the service or use the web console/);
});

test('read names the unknown meter', async (t) => {
  t.timeout(240_000);
  const dir = tempDir(t);
  const file = join(dir, 'gw.yaml');
  writeFileSync(file, YAML.stringify({ gateway: { id: 'g' }, storage: { path: join(dir, 'x.db') }, mqtt: { url: 'mqtt://127.0.0.1:1' }, buses: [{ id: 'b', type: 'tcp', host: '127.0.0.1', port: 1 }], meters: [{ id: 'm1', bus: 'b', unit: 1, profile: 'sdm120' }] }));
  const r = await cli(['read', '-c', file, '--meter', 'nope']);
  t.is(r.code, 2);
  t.regex(r.stderr, /--meter: no meter "nope" in the configuration \(meters: m1\)/);
});
