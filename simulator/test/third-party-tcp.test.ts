/**
 * Third-party Modbus masters (mbpoll, pymodbus, modbus-serial) read the simulator over TCP
 * and must get the same values as the simulator's true state.
 */
import test from 'ava';
import { ModbusClient as ModbusRTU } from './helpers/modbus-client.js';
import { ManualClock } from '@prepaid-edge/protocols';
import { tcpSim, f32 } from './helpers/sim.js';
import { testWith } from '@prepaid-edge/testkit/system-tools';
import { run } from '@prepaid-edge/testkit/run';

import { PYMODBUS_READ as PY } from '@prepaid-edge/testkit/peers';

testWith(['mbpoll'])('mbpoll reads a plausible SDM630 voltage from unit 2 over TCP', async (t) => {
  const clock = new ManualClock({ now: Date.UTC(2026, 5, 1, 12) });
  const { sim, port } = await tcpSim({ profile: 'sdm630', meters: 3, clock, seed: 7 });
  t.teardown(() => sim.close());
  const r = await run('mbpoll', ['-m', 'tcp', '-p', String(port), '-a', '2', '-t', '3:float', '-B', '-0', '-r', '0', '-c', '3', '-1', '127.0.0.1']);
  t.is(r.code, 0, r.stderr);
  const values = [...r.stdout.matchAll(/\[(\d+)\]:\s+(-?[\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
  t.deepEqual(values.map((v) => v[0]), [0, 2, 4]);
  const truth = sim.trueState(2).snapshot.voltage;
  values.forEach(([, v], i) => {
    t.true(v! > 207 && v! < 253, `voltage L${i + 1} ${v} plausible`);
    t.is(Math.round(v! * 10) / 10, truth[i]!);
  });
});

testWith(['python3-pymodbus'])('pymodbus reads SDM630 energy and power equal to the true state', async (t) => {
  const clock = new ManualClock({ now: Date.UTC(2026, 5, 1, 12) });
  const { sim, port } = await tcpSim({ profile: 'sdm630', meters: 2, clock, seed: 3 });
  t.teardown(() => sim.close());
  clock.advance(3_600_000);
  const r = await run('/usr/bin/python3', [PY, 'tcp', '127.0.0.1', String(port), '1', 'input', '72', '2']);
  t.is(r.code, 0, r.stdout + r.stderr);
  const kwh = JSON.parse(r.stdout).floats[0] as number;
  const truth = sim.trueState(1).snapshot.energyImportWh / 1000;
  t.true(Math.abs(kwh - truth) <= Math.max(0.001, truth * 1e-6), `${kwh} vs ${truth}`);
  const p = await run('/usr/bin/python3', [PY, 'tcp', '127.0.0.1', String(port), '1', 'input', '52', '2']);
  t.is(Math.round(JSON.parse(p.stdout).floats[0]), sim.trueState(1).snapshot.power);
});

test('modbus-serial (npm) master: every unit answers with its own values; unknown unit gets exception 0x0B', async (t) => {
  const clock = new ManualClock({ now: Date.UTC(2026, 5, 1, 12) });
  const { sim, port } = await tcpSim({ profile: 'sdm120', meters: 4, clock, seed: 11 });
  const client = new ModbusRTU();
  t.teardown(async () => {
    client.close(() => {});
    await sim.close();
  });
  await client.connectTCP('127.0.0.1', { port });
  client.setTimeout(2000);
  for (let unit = 1; unit <= 4; unit++) {
    client.setID(unit);
    const r = await client.readInputRegisters(0x48, 2);
    t.is(Math.floor(f32(r.data[0]!, r.data[1]!) * 1000), Math.floor(Math.fround(sim.trueState(unit).snapshot.energyImportWh / 1000) * 1000));
  }
  client.setID(9);
  const err = await t.throwsAsync(client.readInputRegisters(0, 2), { any: true });
  t.regex(String((err as { message: string }).message), /Gateway target|0x0?b|11/i);
});

test('illegal address and illegal quantity come back as Modbus exceptions 02 and 03', async (t) => {
  const { sim, port } = await tcpSim({ profile: 'sdm120', meters: 1, clock: new ManualClock() });
  const client = new ModbusRTU();
  t.teardown(async () => {
    client.close(() => {});
    await sim.close();
  });
  await client.connectTCP('127.0.0.1', { port });
  client.setID(1);
  client.setTimeout(2000);
  const e2 = (await t.throwsAsync(client.readInputRegisters(0x4000, 2), { any: true })) as { modbusCode?: number };
  t.is(e2.modbusCode, 2);
  const e3 = (await t.throwsAsync(client.readHoldingRegisters(0, 126), { any: true })) as { modbusCode?: number };
  t.is(e3.modbusCode, 3);
});
