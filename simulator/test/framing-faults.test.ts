/**
 * The framing fault vectors (protocols/vectors/modbus-framing-faults.json, role "slave") played
 * against the simulator's slave over RTU-over-TCP and over a socat pty; every case must show the
 * expected replies. Plus: the heap stays flat across many injected faults (short form; the long
 * form with 10^5 faults is the bench's framing-faults section).
 */
import test from 'ava';
import net from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { SerialPort } from 'serialport';
import { ManualClock } from '@prepaid-edge/protocols';
import { testWith } from '@prepaid-edge/testkit/system-tools';
import { ptyPair } from '@prepaid-edge/testkit/pty-pair';
import { Simulator } from '../src/simulator.js';
import { attach, hex, loadFramingVectors, playCase, type Line } from './helpers/framing-vectors.js';

const vectors = loadFramingVectors();
const slaveCases = vectors.cases.filter((c) => c.role === 'slave');

function sim(): Simulator {
  const clock = new ManualClock({ now: Date.UTC(2026, 5, 1, 19) });
  return new Simulator({ profile: 'sdm630', meters: Math.max(...vectors.line.units), clock, seed: 5 });
}

async function tcpLine(port: number): Promise<{ line: Line; socket: net.Socket }> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((r, j) => socket.once('connect', r).once('error', j));
  socket.setNoDelay(true);
  return { socket, line: { write: (b) => socket.write(b), onData: (fn) => socket.on('data', fn) } };
}

/** The first request pays for JIT and meter set-up; make sure the slave answers before timing cases. */
async function warmUp(line: Line): Promise<void> {
  const good = slaveCases.find((c) => c.name === 'good-request')!;
  for (let i = 0; i < 20; i++) if ((await playCase(line, good, 250)).length > 0) return;
  throw new Error('the slave never answered the good request');
}

test.serial('the vector file has slave cases for every fault the suite names', (t) => {
  const names = slaveCases.map((c) => c.name);
  for (const n of ['drip-fed', 'stuck-together', 'garbage-glued-before', 'garbage-after', 'crc-corrupt', 'truncated', 'other-unit', 'foreign-reply-on-line', 'broadcast-from-other-master', 'late-tail-after-timeout'])
    t.true(names.includes(n), n);
});

test.serial('framing fault vectors over RTU-over-TCP', async (t) => {
  const s = sim();
  const port = await s.listenRtuOverTcp(0, '127.0.0.1', vectors.line.silenceMs);
  const { line, socket } = await tcpLine(port);
  t.teardown(async () => {
    socket.destroy();
    await s.close();
  });
  attach(line);
  await warmUp(line);
  for (const c of slaveCases) t.deepEqual(await playCase(line, c), c.expect.replies ?? [], c.name);
});

testWith(['socat']).serial('framing fault vectors over a socat pty (RTU at 9600 baud)', async (t) => {
  const pty = await ptyPair();
  const s = sim();
  // A pty has no character timing (and this machine is shared): the vectors' silence, not 3.5 chars at 9600.
  await s.openSerial(pty.a, { baudRate: 9600, parity: 'none', silenceMs: vectors.line.silenceMs });
  const port = new SerialPort({ path: pty.b, baudRate: 9600, autoOpen: false });
  await new Promise<void>((r, j) => port.open((e) => (e ? j(e) : r())));
  t.teardown(async () => {
    await new Promise<void>((r) => port.close(() => r()));
    await s.close();
    await pty.close();
  });
  const line: Line = { write: (b) => port.write(b), onData: (fn) => port.on('data', fn) };
  attach(line);
  await warmUp(line);
  for (const c of slaveCases) t.deepEqual(await playCase(line, c), c.expect.replies ?? [], c.name);
});

test.serial('heap flat across 10,000 injected framing faults over RTU-over-TCP', async (t) => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const s = sim();
  const port = await s.listenRtuOverTcp(0, '127.0.0.1', vectors.line.silenceMs);
  const { socket } = await tcpLine(port);
  t.teardown(async () => {
    socket.destroy();
    await s.close();
  });
  const faults = slaveCases.flatMap((c) => c.steps.filter((st) => st.bytes).map((st) => hex(st.bytes!)));
  const good = hex(slaveCases.find((c) => c.name === 'good-request')!.steps[0]!.bytes!);
  let replies = 0;
  socket.on('data', (b: Buffer) => (replies += b.length));
  const round = async (n: number) => {
    for (let i = 0; i < n; i++) {
      socket.write(faults[i % faults.length]!);
      if (i % 250 === 249) {
        await new Promise((r) => setTimeout(r, vectors.line.silenceMs * 2)); // let silences resynchronise
        socket.write(good);
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  };
  await round(2_000); // warm up
  gc();
  const before = process.memoryUsage().heapUsed;
  const repliesBefore = replies;
  await round(10_000);
  gc();
  const grown = process.memoryUsage().heapUsed - before;
  t.true(replies > repliesBefore, 'the slave still answers between faults');
  t.true(grown < 2 * 1024 * 1024, `heap grew ${grown} bytes`);
});
