/**
 * Long form of the framing fault heap check: 10^5 faults from protocols/vectors/modbus-framing-faults.json
 * (every `slave` case's bytes, round-robin, each followed by a silence, a good request every 10 faults, 100 connections in parallel)
 * injected into the simulator's slave over RTU-over-TCP; heap after a forced GC must stay flat
 * (< 2 MB growth) and the slave must answer the good requests between faults.
 */
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Simulator } from '../src/index.js';
import type { BenchResult } from './bench-result.js';

const FAULTS = 100_000;
const CONNECTIONS = 100;
const LIMIT = 2 * 1024 * 1024;

interface Vectors { line: { silenceMs: number }; cases: { name: string; role: string; steps: { bytes?: string }[] }[] }

export async function run(): Promise<BenchResult> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const file = createRequire(import.meta.url).resolve('@prepaid-edge/protocols/vectors/modbus-framing-faults.json');
  const v = JSON.parse(readFileSync(file, 'utf8')) as Vectors;
  const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
  const slave = v.cases.filter((c) => c.role === 'slave');
  const faults = slave.flatMap((c) => c.steps.filter((s) => s.bytes).map((s) => hex(s.bytes!)));
  const good = hex(slave.find((c) => c.name === 'good-request')!.steps[0]!.bytes!);
  const sim = new Simulator({ profile: 'sdm630', meters: 2, seed: 3 });
  // Each fault gets its own silence (so it is framed, rejected or answered on its own): a short
  // packing interval and many connections in parallel, each with its own splitter.
  const silenceMs = 2;
  const port = await sim.listenRtuOverTcp(0, '127.0.0.1', silenceMs);
  const sockets: net.Socket[] = [];
  let replyBytes = 0;
  for (let i = 0; i < CONNECTIONS; i++) {
    const s = net.connect(port, '127.0.0.1');
    await new Promise<void>((r, j) => s.once('connect', r).once('error', j));
    s.setNoDelay(true);
    s.on('data', (b: Buffer) => (replyBytes += b.length));
    sockets.push(s);
  }
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const inject = async (perConnection: number) => {
    await Promise.all(
      sockets.map(async (s, k) => {
        for (let i = 0; i < perConnection; i++) {
          s.write(faults[(i + k) % faults.length]!);
          await sleep(silenceMs * 3);
          if (i % 10 === 9) s.write(good);
        }
      }),
    );
    await sleep(200);
  };
  try {
    await inject(20);
    gc();
    const heap0 = process.memoryUsage().heapUsed;
    const replies0 = replyBytes;
    const requests0 = sim.bus.stats.requests;
    const t0 = performance.now();
    await inject(FAULTS / CONNECTIONS);
    const sec = (performance.now() - t0) / 1000;
    gc();
    const grown = process.memoryUsage().heapUsed - heap0;
    const frames = sim.bus.stats.requests - requests0;
    const answered = replyBytes - replies0;
    const ok = grown < LIMIT && frames >= FAULTS && answered > 0;
    const markdown = [
      `${FAULTS.toLocaleString('en-US')} framing faults (the bytes of every \`slave\` case in \`protocols/vectors/modbus-framing-faults.json\`, round-robin; after each a silence of ${silenceMs * 3} ms, so each is framed on its own at a ${silenceMs} ms packing interval; a good request after every 10) into one simulator (sdm630, 2 meters) over RTU-over-TCP on 127.0.0.1, ${CONNECTIONS} connections in parallel, in ${sec.toFixed(1)} s. Frames (and rejected bursts) the bus handled: ${frames.toLocaleString('en-US')}; reply bytes: ${answered.toLocaleString('en-US')}.`,
      '',
      `Heap after forced GC, after a warm-up vs after the run: ${(grown / 1024).toFixed(0)} KiB growth (limit ${LIMIT / 1024 / 1024} MB). Verdict: ${ok ? '**flat**, and every fault reached the bus' : '**NOT flat, or faults not handled one by one**'}.`,
    ].join('\n');
    return { id: 'framing-faults', title: 'Simulator: heap across 10^5 injected RTU framing faults', command: 'simulator/bench/framing-faults.bench.ts', markdown, ...(ok ? {} : { failed: `WRONG RESULT: heap grew ${grown} bytes, ${frames} frames for ${FAULTS} faults, ${answered} reply bytes` }) };
  } finally {
    for (const s of sockets) s.destroy();
    await sim.close();
  }
}
