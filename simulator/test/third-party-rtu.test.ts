/**
 * The simulator as an RS-485 multi-drop bus on a real pseudo-terminal (socat): third-party
 * RTU masters address each meter by unit id, and reply faults look like real line faults.
 */
import test from 'ava';
import { ModbusClient as ModbusRTU } from './helpers/modbus-client.js';
import { Simulator } from '../src/simulator.js';
import { ManualClock } from '@prepaid-edge/protocols';
import { f32 } from './helpers/sim.js';
import { testWith } from '@prepaid-edge/testkit/system-tools';
import { ptyPair } from '@prepaid-edge/testkit/pty-pair';
import { run } from '@prepaid-edge/testkit/run';

import { PYMODBUS_READ as PY } from '@prepaid-edge/testkit/peers';

async function rtuSim(t: { teardown(fn: () => Promise<void> | void): void }, meters: number, parity: 'none' | 'even' = 'none') {
  const pty = await ptyPair();
  const clock = new ManualClock({ now: Date.UTC(2026, 5, 1, 19) });
  const sim = new Simulator({ profile: 'sdm630', meters, clock, seed: 5, baudRate: 9600, parity });
  await sim.openSerial(pty.a);
  t.teardown(async () => {
    await sim.close();
    await pty.close();
  });
  return { sim, clock, device: pty.b };
}

testWith(['socat', 'mbpoll'])('mbpoll over a socat pty reads each unit on the multi-drop bus', async (t) => {
  const { sim, device } = await rtuSim(t, 3, 'even');
  for (const unit of [1, 3]) {
    const r = await run('mbpoll', ['-m', 'rtu', '-b', '9600', '-P', 'even', '-a', String(unit), '-t', '3:float', '-B', '-0', '-r', '70', '-c', '2', '-1', '-o', '2', device]);
    t.is(r.code, 0, r.stdout + r.stderr);
    const values = [...r.stdout.matchAll(/\[(\d+)\]:\s+(-?[\d.]+)/g)].map((m) => Number(m[2]));
    t.is(values.length, 2);
    t.is(Math.round(values[0]! * 100) / 100, sim.trueState(unit).snapshot.frequency);
    // mbpoll prints six significant digits (%g), so compare to that precision.
    const kwh = sim.trueState(unit).snapshot.energyImportWh / 1000;
    t.true(Math.abs(values[1]! - kwh) <= kwh * 1e-5, `${values[1]} vs ${kwh}`);
  }
});

testWith(['socat', 'python3-pymodbus'])('pymodbus RTU master over a socat pty reads SDM630 voltages', async (t) => {
  const { sim, device } = await rtuSim(t, 2);
  const r = await run('/usr/bin/python3', [PY, 'rtu', device, '9600', '2', 'input', '0', '6']);
  t.is(r.code, 0, r.stdout + r.stderr);
  const floats = JSON.parse(r.stdout).floats as number[];
  t.deepEqual(floats.map((v) => Math.round(v * 10) / 10), sim.trueState(2).snapshot.voltage);
});

testWith(['socat'])('modbus-serial RTU master: good reads, CRC fault, no-reply fault, absent unit', async (t) => {
  const { sim, device } = await rtuSim(t, 2);
  const client = new ModbusRTU();
  await client.connectRTUBuffered(device, { baudRate: 9600, parity: 'none' });
  t.teardown(() => new Promise<void>((r) => client.close(() => r())));
  client.setTimeout(500);
  client.setID(1);
  const ok = await client.readInputRegisters(0, 2);
  t.is(Math.round(f32(ok.data[0]!, ok.data[1]!) * 10) / 10, sim.trueState(1).snapshot.voltage[0]!);

  sim.addFault(1, { type: 'badCrc' });
  // modbus-serial's buffered RTU port discards a frame with a bad CRC and then times out.
  const crcErr = await t.throwsAsync(client.readInputRegisters(0, 2), { any: true });
  t.regex(String((crcErr as { message?: string }).message), /CRC|timed out/i);
  sim.clearFaults(1);

  sim.addFault(2, { type: 'noReply' });
  client.setID(2);
  const timeout = await t.throwsAsync(client.readInputRegisters(0, 2), { any: true });
  t.regex(String((timeout as { message?: string }).message), /timed out/i);
  sim.clearFaults(2);

  client.setID(77);
  await t.throwsAsync(client.readInputRegisters(0, 2), { any: true, message: /timed out/i });

  client.setID(2);
  const back = await client.readInputRegisters(0, 2);
  t.true(f32(back.data[0]!, back.data[1]!) > 200);
  t.true(sim.bus.stats.dropped >= 1);
});
