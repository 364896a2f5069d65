/**
 * RTU over TCP (bare RTU frames with CRC on a TCP socket, as an Ethernet-to-RS-485 converter
 * carries them): third-party masters — pymodbus with its RTU framer on a TCP client, and
 * modbus-serial's connectTelnet (its raw RTU-over-TCP port; its TcpRTUBuffered port sends MBAP) — read the simulator's meters by unit id and get the true
 * state; absent units and reply faults look like the serial line (silence, bad CRC).
 * mbpoll has no RTU-over-TCP mode (`mbpoll -h`: -m rtu|tcp only), so it is not among them.
 */
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { ManualClock } from '@prepaid-edge/protocols';
import { testWith } from '@prepaid-edge/testkit/system-tools';
import { run } from '@prepaid-edge/testkit/run';
import { PYMODBUS_READ } from '@prepaid-edge/testkit/peers';
import { Simulator } from '../src/simulator.js';
import { ModbusClient } from './helpers/modbus-client.js';
import { f32 } from './helpers/sim.js';



async function rtuTcpSim(t: { teardown(fn: () => Promise<void> | void): void }, meters: number) {
  const clock = new ManualClock({ now: Date.UTC(2026, 5, 1, 19) });
  const sim = new Simulator({ profile: 'sdm630', meters, clock, seed: 9 });
  const port = await sim.listenRtuOverTcp(0);
  t.teardown(() => sim.close());
  return { sim, port };
}

testWith(['python3-pymodbus'])('pymodbus RTU framer over TCP reads each unit\'s voltages', async (t) => {
  const { sim, port } = await rtuTcpSim(t, 3);
  for (const unit of [1, 3]) {
    const r = await run('/usr/bin/python3', [PYMODBUS_READ, 'rtu-over-tcp', '127.0.0.1', String(port), String(unit), 'input', '0', '6']);
    t.is(r.code, 0, r.stdout + r.stderr);
    const floats = JSON.parse(r.stdout).floats as number[];
    t.deepEqual(floats.map((v) => Math.round(v * 10) / 10), sim.trueState(unit).snapshot.voltage);
  }
  const absent = await run('/usr/bin/python3', [PYMODBUS_READ, 'rtu-over-tcp', '127.0.0.1', String(port), '9', 'input', '0', '2']);
  t.not(absent.code, 0, 'unit 9 is not on the line: silence, as on RS-485 (no 0x0B from a bare converter)');
  t.regex(absent.stdout, /No response|error/i);
  t.is(sim.bus.stats.unknownUnit, 1);
});

test('modbus-serial RTU-over-TCP master: good read, bad-CRC fault, then recovery', async (t) => {
  const { sim, port } = await rtuTcpSim(t, 2);
  const client = new ModbusClient();
  await client.connectTelnet('127.0.0.1', { port });
  t.teardown(() => new Promise<void>((r) => client.close(() => r())));
  client.setTimeout(500);
  client.setID(2);
  const ok = await client.readInputRegisters(0, 2);
  t.is(Math.round(f32(ok.data[0]!, ok.data[1]!) * 10) / 10, sim.trueState(2).snapshot.voltage[0]!);

  sim.addFault(2, { type: 'badCrc' });
  // Over a socket nothing is lost in transit: the master sees the corrupt CRC itself, not a timeout.
  await t.throwsAsync(client.readInputRegisters(0, 2), { any: true, message: /CRC/i });
  sim.clearFaults(2);

  const back = await client.readInputRegisters(0, 2);
  t.true(f32(back.data[0]!, back.data[1]!) > 200);
  t.is(sim.rtuTcp!.connections, 1, 'one connection throughout');
});

testWith(['python3-pymodbus'])('prepaid-sim --rtu-over-tcp 0 serves pymodbus from the command line', async (t) => {
  const { spawn } = await import('node:child_process');
  const bin = fileURLToPath(new URL('../../bin/prepaid-sim.js', import.meta.url));
  const proc = spawn(process.execPath, [bin, '--meters', '2', '--rtu-over-tcp', '0', '--no-table'], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => {
    proc.kill('SIGTERM');
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no ready line: ${out}`)), 15_000);
    proc.stderr.on('data', (d: Buffer) => { // pino logs to stderr
      out += d.toString();
      const m = /"rtuOverTcpPort":(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    proc.once('exit', (code) => reject(new Error(`prepaid-sim exited ${code}: ${out}`)));
  });
  const r = await run('/usr/bin/python3', [PYMODBUS_READ, 'rtu-over-tcp', '127.0.0.1', String(port), '2', 'input', '0', '2']);
  t.is(r.code, 0, r.stdout + r.stderr);
  const v = (JSON.parse(r.stdout).floats as number[])[0]!;
  t.true(v > 207 && v < 253, `voltage ${v}`);
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (c) => resolve(c)));
  proc.kill('SIGTERM');
  t.is(await exited, 0, 'stops cleanly on SIGTERM');
});
