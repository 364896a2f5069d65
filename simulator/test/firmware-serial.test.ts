/**
 * The firmware on real serial devices (socat pseudo-terminal pairs): mbpoll reads and writes the
 * firmware's own Modbus RTU slave and the simulator's bus of firmware meters; a technician's
 * terminal talks to the maintenance console line by line.
 */
import { SerialPort } from 'serialport';
import { DelimiterParser } from '@serialport/parser-delimiter';
import {
  attachConsole,
  checkFirmwareConfig,
  ConsoleSession,
  Firmware,
  MemorySlots,
  RtuSlavePort,
  VirtualBoard,
  virtualPinMap,
} from '@prepaid-edge/firmware';
import { Simulator } from '../src/simulator.js';
import { ManualClock } from '@prepaid-edge/protocols';
import { testWith } from '@prepaid-edge/testkit/system-tools';
import { ptyPair } from '@prepaid-edge/testkit/pty-pair';
import { run } from '@prepaid-edge/testkit/run';
import '../src/meters/register-all.js';

type Teardown = { teardown(fn: () => Promise<void> | void): void };

async function openPort(path: string, baudRate: number, parity: 'none' | 'even' = 'none'): Promise<SerialPort> {
  const port = new SerialPort({ path, baudRate, parity, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
  return port;
}

/** A firmware on a virtual board with its RS-485 port (and optionally its console) on socat ptys. */
async function firmwareOnPty(t: Teardown, unitId: number) {
  const pinMap = virtualPinMap();
  const board = new VirtualBoard({ pinMap, meter: () => ({ voltage: 230.2, current: 2.5, power: 575, energyWh: 0, frequency: 50, powerFactor: 1 }) });
  const clock = new ManualClock({ now: Date.UTC(2026, 0, 1), monotonic: Date.UTC(2026, 0, 1) });
  const config = checkFirmwareConfig({ serialNumber: 31337, initialEnergyWh: 777_000, modbus: { unitId, baudRate: 9600, parity: 'even' }, console: { pin: '8642' } });
  const fw = Firmware.boot({ config, pinMap, io: board.powerOn(), storage: new MemorySlots(), clock, timers: false });
  const bus = await ptyPair();
  const port = await openPort(bus.a, 9600, 'even');
  const slave = new RtuSlavePort(port, { unitId: () => fw.core.state.line.unitId, handle: (pdu) => fw.handleModbusPdu(pdu), baudRate: 9600, parity: 'even' });
  t.teardown(async () => {
    slave.detach();
    await new Promise((r) => port.close(r));
    await bus.close();
    fw.stop();
  });
  return { fw, board, clock, device: bus.b, slave };
}

const values = (stdout: string): number[] => [...stdout.matchAll(/\[(\d+)\]:\s+(-?\d+)/g)].map((m) => Number(m[2]));

testWith(['socat', 'mbpoll'])('mbpoll reads the firmware\'s own RTU slave (virtual board) and switches its relay', async (t) => {
  const { fw, board, device, slave } = await firmwareOnPty(t, 7);
  const mb = (...args: string[]) => run('mbpoll', ['-m', 'rtu', '-b', '9600', '-P', 'even', '-a', '7', '-0', '-1', '-o', '2', ...args, device]);
  const input = await mb('-t', '3', '-r', '0', '-c', '32');
  t.is(input.code, 0, input.stdout + input.stderr);
  const w = values(input.stdout);
  t.is(w.length, 32);
  t.deepEqual(w.slice(0, 2), [0x5045, 1]);
  t.is(w[2]! * 65536 + w[3]!, 31337);
  t.is(w[5], 2302);
  t.is(((w[12]! * 65536 + w[13]!) * 65536 + w[14]!) * 65536 + w[15]!, 777_000);
  const holding = await mb('-t', '4', '-r', '0', '-c', '17');
  t.is(holding.code, 0, holding.stderr);
  t.is(values(holding.stdout).length, 17);
  const open = await run('mbpoll', ['-m', 'rtu', '-b', '9600', '-P', 'even', '-a', '7', '-0', '-1', '-t', '0', '-r', '1', device, '0']);
  t.is(open.code, 0, open.stdout + open.stderr);
  t.false(board.relayClosed);
  t.is(fw.core.state.relay.command, 0);
  const bad = await mb('-t', '3', '-r', '30', '-c', '5');
  t.regex(bad.stdout + bad.stderr, /Illegal data address/i);
  const other = await run('mbpoll', ['-m', 'rtu', '-b', '9600', '-P', 'even', '-a', '8', '-0', '-1', '-o', '0.3', '-t', '3', '-r', '0', '-c', '1', device]);
  t.not(other.code, 0, 'another unit id gets no answer');
  t.true(slave.stats.otherUnits >= 1);
});

testWith(['socat', 'mbpoll'])('mbpoll reads prepaid firmware meters through the simulator\'s serial bus', async (t) => {
  const pty = await ptyPair();
  const clock = new ManualClock({ now: Date.UTC(2026, 5, 1, 19) });
  const sim = new Simulator({ profile: 'prepaid', meters: 3, clock, seed: 5, baudRate: 9600, parity: 'none' });
  await sim.openSerial(pty.a);
  t.teardown(async () => {
    await sim.close();
    await pty.close();
  });
  clock.advance(3_600_000);
  for (const unit of [1, 3]) {
    const r = await run('mbpoll', ['-m', 'rtu', '-b', '9600', '-P', 'none', '-a', String(unit), '-0', '-1', '-o', '2', '-t', '3', '-r', '12', '-c', '4', pty.b]);
    t.is(r.code, 0, r.stdout + r.stderr);
    const w = values(r.stdout);
    t.is(((w[0]! * 65536 + w[1]!) * 65536 + w[2]!) * 65536 + w[3]!, sim.trueState(unit).snapshot.energyImportWh);
  }
});

testWith(['socat'])('maintenance console over a socat pty: PIN, status, energy, token, set address', async (t) => {
  const { fw } = await firmwareOnPty(t, 3);
  const con = await ptyPair();
  const meterSide = await openPort(con.a, 115200);
  const session = new ConsoleSession(fw.consoleTarget(), { pin: '8642', maxFailures: 5, lockoutMs: 300_000, clock: fw.clock });
  const attachment = attachConsole(meterSide, session);
  const terminal = await openPort(con.b, 115200);
  t.teardown(async () => {
    attachment.detach();
    await new Promise((r) => terminal.close(r));
    await new Promise((r) => meterSide.close(r));
    await con.close();
  });
  const lines: string[] = [];
  const waiting: Array<() => void> = [];
  terminal.pipe(new DelimiterParser({ delimiter: '\r\n' })).on('data', (b: Buffer) => {
    lines.push(b.toString());
    waiting.shift()?.();
  });
  /** Send one command; collect reply lines up to the closing OK/ERR. */
  const ask = async (cmd: string): Promise<string[]> => {
    const from = lines.length;
    terminal.write(`${cmd}\r\n`);
    for (;;) {
      const end = lines.slice(from).findIndex((l) => /^(OK|ERR)/.test(l));
      if (end >= 0) return lines.slice(from, from + end + 1);
      await new Promise<void>((r) => waiting.push(r));
    }
  };
  t.deepEqual(await ask('status'), ['ERR login required']);
  t.deepEqual(await ask('login 0000'), ['ERR wrong pin']);
  t.deepEqual(await ask('login 8642'), ['OK']);
  const status = await ask('status');
  t.true(status.includes('serialNumber=31337'));
  t.true(status.includes('relayState=connected'));
  t.true((await ask('energy')).includes('energyImportWh=777000'));
  t.deepEqual(await ask('token 1234'), ['ERR token wants 20 digits']);
  t.deepEqual((await ask('token 23716100501183194197')).at(-1), 'ERR token rejected', 'no decoder key loaded');
  t.deepEqual(await ask('set address 12'), ['OK']);
  t.is(fw.core.state.line.unitId, 12);
  t.is((await ask('help')).at(-1), 'OK');
});
