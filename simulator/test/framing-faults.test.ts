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

test.serial('heap flat across 5,000 injected framing faults over RTU-over-TCP, each handled on its own', async (t) => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const s = sim();
  const silenceMs = 2; // a short packing interval, so each fault (followed by 3x that) is framed on its own
  const port = await s.listenRtuOverTcp(0, '127.0.0.1', silenceMs);
  const conns = await Promise.all(Array.from({ length: 20 }, () => tcpLine(port)));
  t.teardown(async () => {
    for (const c of conns) c.socket.destroy();
    await s.close();
  });
  const faults = slaveCases.flatMap((c) => c.steps.filter((st) => st.bytes).map((st) => hex(st.bytes!)));
  const good = hex(slaveCases.find((c) => c.name === 'good-request')!.steps[0]!.bytes!);
  let replies = 0;
  for (const c of conns) c.socket.on('data', (b: Buffer) => (replies += b.length));
  const round = async (perConnection: number) => {
    await Promise.all(
      conns.map(async ({ socket }, k) => {
        for (let i = 0; i < perConnection; i++) {
          socket.write(faults[(i + k) % faults.length]!);
          await new Promise((r) => setTimeout(r, silenceMs * 3));
          if (i % 10 === 9) socket.write(good);
        }
      }),
    );
    await new Promise((r) => setTimeout(r, 200));
  };
  await round(20); // warm up
  gc();
  const before = process.memoryUsage().heapUsed;
  const repliesBefore = replies;
  const framesBefore = s.bus.stats.requests;
  await round(250);
  gc();
  const grown = process.memoryUsage().heapUsed - before;
  t.true(s.bus.stats.requests - framesBefore >= 5_000, `the bus handled ${s.bus.stats.requests - framesBefore} frames for 5,000 faults`);
  t.true(replies > repliesBefore, 'the slave still answers between faults');
  t.true(grown < 2 * 1024 * 1024, `heap grew ${grown} bytes`);
});
