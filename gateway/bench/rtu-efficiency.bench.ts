/**
 * RTU bus efficiency: the simulator with wire timing at 9600 8N1 on a socat pty pair, 32 meters,
 * the gateway polling all of them as fast as the bus allows (pollMs 100).
 * Efficiency = characters' time on the wire (the simulator's bus.timing.wireMs) / elapsed time.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import pino from 'pino';
import YAML from 'yaml';
import { Simulator } from '@prepaid-edge/simulator';
import { parseConfig } from '../src/app/config/load-config.js';
import { Gateway } from '../src/app/runtime.js';
import { ptyPair } from '@prepaid-edge/testkit/pty-pair';
import { startBenchBroker } from './mosquitto-process.js';

const METERS = 32;
const MEASURE_MS = 20_000;
const TARGET = 0.9;

export async function run(): Promise<{ id: string; title: string; command: string; markdown: string; skipped?: string }> {
  const base = { id: 'rtu-efficiency', title: 'Gateway: RS-485 bus efficiency (9600 baud, 32 meters, wire timing)', command: 'gateway/bench/rtu-efficiency.bench.ts' };
  if (spawnSync('socat', ['-V'], { stdio: 'ignore' }).error) return { ...base, markdown: '', skipped: 'socat is not installed (apt-get install socat)' };
  const dir = mkdtempSync(join(process.env.BENCH_TMP ?? tmpdir(), 'rtu-eff-'));
  const pty = await ptyPair();
  const broker = await startBenchBroker();
  const sim = new Simulator({ profile: 'sdm120', meters: METERS, seed: 'rtu-eff', timing: 'wire', baudRate: 9600, parity: 'none' });
  let gw: Gateway | undefined;
  try {
    await sim.openSerial(pty.a);
    const cfg = parseConfig(
      YAML.stringify({
        gateway: { id: 'gw-rtu-eff' },
        storage: { path: join(dir, 'gw.db'), synchronous: 'normal' },
        mqtt: { url: broker.url },
        log: { level: 'silent' },
        buses: [{ id: 'rs485', type: 'rtu', path: pty.b, baudRate: 9600, parity: 'none', timeoutMs: 500 }],
        meters: Array.from({ length: METERS }, (_, i) => ({ id: `m${i + 1}`, bus: 'rs485', unit: i + 1, profile: 'sdm120', pollMs: 100 })),
      }),
      'rtu-efficiency',
    );
    gw = new Gateway(cfg, { log: pino({ level: 'silent' }) });
    await gw.start();
    await new Promise((r) => setTimeout(r, 3000)); // warm-up: every meter polled at least once
    const timing = sim.bus.timing!;
    const successes = async () => (await gw!.status()).meters.reduce((a, m) => a + m.successes, 0);
    const wire0 = timing.wireMs;
    const ok0 = await successes();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, MEASURE_MS));
    const elapsed = performance.now() - t0;
    const wire = timing.wireMs - wire0;
    const polls = (await successes()) - ok0;
    const status = await gw.status();
    const bus = status.buses[0];
    const eff = wire / elapsed;
    const charMs = timing.charMs;
    return {
      ...base,
      markdown: [
        `Simulator \`timing: 'wire'\` at 9600 baud 8N1 (1 char = ${charMs.toFixed(3)} ms, slave turnaround ${sim.opts.turnaroundMs ?? 2} ms) on a socat pty pair; ${METERS} sdm120 meters, the gateway polling each every 100 ms (so the bus is always busy) for ${(elapsed / 1000).toFixed(1)} s after a 3 s warm-up.`,
        '',
        '| wire time | elapsed | efficiency | target | meter polls | polls/s | errors |',
        '|---:|---:|---:|---:|---:|---:|---|',
        `| ${(wire / 1000).toFixed(2)} s | ${(elapsed / 1000).toFixed(2)} s | ${eff.toFixed(3)} | >= ${TARGET} | ${polls} | ${(polls / (elapsed / 1000)).toFixed(1)} | ${JSON.stringify(bus?.errors ?? {})} |`,
        '',
        `Verdict: ${eff >= TARGET ? 'meets' : 'misses'} the target.`,
      ].join('\n'),
    };
  } finally {
    await gw?.stop('bench end').catch(() => undefined);
    await sim.close();
    await pty.close();
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
