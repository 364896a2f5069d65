/**
 * A USB adapter re-plugged, as socat can show it: the pty pair behind the bus is stopped and
 * started again on the same link names. Our RTU master on serialport must poll again without a
 * restart (well inside the 30 s backoff cap), and leave no fds or handles behind over the cycles
 * (MODBUS_TTY_CYCLES, 3 by default; 100 in the long form).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import { testWith } from '@prepaid-edge/testkit/system-tools';
import { decodeRtu, encodeRegistersResponse, encodeRtu, isPrepaidError } from '@prepaid-edge/protocols';
import { frameGapMs, RtuMaster, serialLink } from '../../src/adapters/modbus/index.js';

const test = testWith(['socat']);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function socat(a: string, b: string): Promise<ChildProcess> {
  const proc = spawn('socat', [`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  while (!(existsSync(a) && existsSync(b))) {
    if (Date.now() > deadline) throw new Error('socat made no ptys');
    await sleep(10);
  }
  return proc;
}

async function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const gone = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  await gone;
}

/** A one-unit slave on the pty: answers FC 03/04 with address+i. */
async function slave(path: string): Promise<SerialPort> {
  const port = new SerialPort({ path, baudRate: 9600, autoOpen: false });
  await new Promise<void>((res, rej) => port.open((e) => (e ? rej(e) : res())));
  let buf = Buffer.alloc(0);
  port.on('error', () => undefined);
  port.on('data', (c: Buffer) => {
    buf = Buffer.concat([buf, c]);
    while (buf.length >= 8) {
      const f = decodeRtu(buf.subarray(0, 8));
      buf = buf.subarray(8);
      const address = f.pdu.readUInt16BE(1);
      const count = f.pdu.readUInt16BE(3);
      port.write(encodeRtu(f.unit, encodeRegistersResponse(f.pdu[0] as 3, Array.from({ length: count }, (_, i) => address + i))));
    }
  });
  return port;
}

const closePort = (p: SerialPort): Promise<void> => new Promise((r) => (p.isOpen ? p.close(() => r()) : r()));

test.serial('the tty goes away and comes back on the same names: polling again without a restart, no fds leaked', async (t) => {
  t.timeout(120_000);
  const cycles = Number(process.env.MODBUS_TTY_CYCLES ?? 3);
  const dir = mkdtempSync(join(tmpdir(), 'replug-'));
  const a = join(dir, 'ttySlave');
  const b = join(dir, 'ttyBus');
  let link = await socat(a, b);
  let peer = await slave(a);
  const master = new RtuMaster({ bus: 'rs485', open: serialLink({ path: b, baudRate: 9600, parity: 'none', stopBits: 1 }), timeoutMs: 200, silenceMs: frameGapMs(9600, 'none', 1) });
  try {
    t.deepEqual(await master.read(1, 'holding', 10, 2), [10, 11]);
    const fds0 = readdirSync('/proc/self/fd').length;
    const handles0 = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().length;
    for (let i = 0; i < cycles; i++) {
      await closePort(peer);
      await stop(link);
      const code = await master.read(1, 'holding', 10, 2).then(
        () => 'ok',
        (e: unknown) => (isPrepaidError(e) ? e.code : String(e)),
      );
      t.true(code === 'E_BUS_UNAVAILABLE' || code === 'E_MODBUS_TIMEOUT', `unplugged: ${code}`);
      link = await socat(a, b);
      peer = await slave(a);
      const t0 = Date.now();
      let words: number[] | undefined;
      while (!words && Date.now() - t0 < 30_000) {
        words = await master.read(1, 'holding', 10, 2).catch(() => undefined);
        if (!words) await sleep(100);
      }
      t.deepEqual(words, [10, 11], `cycle ${i}: polling again`);
      t.true(Date.now() - t0 < 30_000);
    }
    await sleep(50);
    t.is(readdirSync('/proc/self/fd').length, fds0, 'fds');
    t.is((process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().length, handles0, 'active handles');
  } finally {
    await master.close();
    await closePort(peer);
    await stop(link);
    rmSync(dir, { recursive: true, force: true });
  }
});
