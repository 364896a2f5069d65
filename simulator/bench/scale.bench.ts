/**
 * Scale: 2,000 simulated meters in one process, each polled once a second, under 25% of one core
 * and under 200 MB RSS.
 *
 * Modbus unit ids stop at 247, so the meters are spread over 9 buses (Simulator instances) in ONE
 * child process, each bus on its own TCP port. This process polls every meter's register block
 * once per second over one connection per bus, the polls spread evenly over the second, and reads
 * the child's CPU time and RSS from /proc.
 */
import { startHelper, type HelperProcess } from './child-process.js';
import { BENCH_DIR, type BenchResult } from './bench-result.js';
import type { SimServerConfig, SimServerReady } from './sim-server.js';
import { RegisterPoller, type PollTarget } from './register-poller.js';
import { clockTicksPerSecond, cpuTicks, rssKb } from './proc-stats.js';
import { fmt, fmtInt, markdownTable, mean, percentile, sleep } from './stats.js';

const ID = 'scale';
const TITLE = 'Simulator scale: 2,000 meters polled once a second';
const METERS = 2000;
const BUSES = 9;
const WARMUP_S = 10;
const MEASURE_S = 60;
/** The SDM630 measurement block a gateway reads: input registers 0..75 (voltages .. export energy). */
const BLOCK = { address: 0, count: 76 } as const;
const TARGET_CPU_PCT = 25;
const TARGET_RSS_MB = 200;

/** Split `total` meters over `buses` as evenly as possible. */
export function spreadMeters(total: number, buses: number): number[] {
  return Array.from({ length: buses }, (_, i) => Math.floor(total / buses) + (i < total % buses ? 1 : 0));
}

export async function run(): Promise<BenchResult> {
  if (process.platform !== 'linux') return { id: ID, title: TITLE, command: '', markdown: '', skipped: 'needs Linux /proc' };
  const perBus = spreadMeters(METERS, BUSES);
  const cfg: SimServerConfig = { profile: 'sdm630', buses: perBus, speed: 1 };
  let sim: HelperProcess<SimServerReady> | undefined;
  let poller: RegisterPoller | undefined;
  try {
    sim = await startHelper<SimServerReady>(process.execPath, [`${BENCH_DIR}sim-server.js`, JSON.stringify(cfg)]);
    const pid = sim.ready.pid;
    const targets: PollTarget[] = [];
    // interleave buses so consecutive polls go to different lines, as parallel gateways would
    for (let unit = 1; unit <= Math.max(...perBus); unit++)
      sim.ready.ports.forEach((port, b) => unit <= perBus[b]! && targets.push({ port, unit }));

    poller = new RegisterPoller({ host: '127.0.0.1', targets, ...BLOCK, periodMs: 1000, timeoutMs: 2000 });
    await poller.connect();
    const startupRssMb = rssKb(pid) / 1024;
    poller.start();
    await sleep(WARMUP_S * 1000);

    const hz = clockTicksPerSecond();
    poller.takeCounters();
    const t0 = performance.now();
    const ticks0 = cpuTicks(pid);
    const rss: number[] = [];
    for (let s = 1; s <= MEASURE_S; s++) {
      // absolute deadlines: timers may fire a little early against performance.now(), never drift
      while (performance.now() < t0 + s * 1000) await sleep(Math.max(1, t0 + s * 1000 - performance.now()));
      rss.push(rssKb(pid) / 1024);
    }
    const ticks1 = cpuTicks(pid);
    const wallS = (performance.now() - t0) / 1000;
    const c = poller.takeCounters();
    poller.close();
    // replies to the window's last polls may still be in flight; they were answered, just not counted

    const cpuPct = ((ticks1 - ticks0) / hz / wallS) * 100;
    const m = {
      cpuPct,
      rssPeak: Math.max(...rss),
      rssMean: mean(rss),
      startupRssMb,
      sentPerS: c.sent / wallS,
      okPerS: c.ok / wallS,
      errors: c.badReply + c.timeout,
      badReply: c.badReply,
      timeout: c.timeout,
      p50: percentile(c.rttMs, 50),
      p99: percentile(c.rttMs, 99),
      wallS,
      perBus,
    };
    process.stderr.write(`[${ID}] cpu ${fmt(cpuPct, 1)}% rss peak ${fmt(m.rssPeak, 1)} MB, ${fmt(m.okPerS, 0)} polls/s, ${m.errors} errors\n`);
    return { id: ID, title: TITLE, command: `${METERS} meters / ${BUSES} buses, FC 04 ${BLOCK.count} registers at ${BLOCK.address} per meter per second, ${WARMUP_S} s warm-up + ${MEASURE_S} s measured`, markdown: report(m) };
  } finally {
    poller?.close();
    await sim?.stop();
  }
}

interface Measured {
  cpuPct: number;
  rssPeak: number;
  rssMean: number;
  startupRssMb: number;
  sentPerS: number;
  okPerS: number;
  errors: number;
  badReply: number;
  timeout: number;
  p50: number;
  p99: number;
  wallS: number;
  perBus: number[];
}

function report(m: Measured): string {
  const verdict = (ok: boolean): string => (ok ? 'met' : '**missed**');
  const pollsOk = m.okPerS >= METERS * 0.99 && m.errors === 0;
  return [
    `${fmtInt(METERS)} SDM630 meters (speed 1, default loads) on ${BUSES} buses of ${[...new Set(m.perBus)].join('/')} meters in ONE`,
    `simulator process, each bus on its own 127.0.0.1 port. The bench process polls every meter's input registers`,
    `${BLOCK.address}..${BLOCK.address + BLOCK.count - 1} (FC 04, ${BLOCK.count} registers) once a second over one connection per bus, the ${fmtInt(METERS)}`,
    `polls spread evenly over each second; every reply is checked (function, byte count ${BLOCK.count * 2}, unit,`,
    `transaction id). ${WARMUP_S} s warm-up, then ${MEASURE_S} s measured: CPU from /proc/PID/stat utime+stime,`,
    `RSS from /proc/PID/status VmRSS sampled each second.`,
    '',
    markdownTable(
      ['measure', 'result', 'target', 'verdict'],
      [
        ['CPU, % of one core', fmt(m.cpuPct, 1), `< ${TARGET_CPU_PCT}`, verdict(m.cpuPct < TARGET_CPU_PCT)],
        ['RSS peak, MB', fmt(m.rssPeak, 1), `< ${TARGET_RSS_MB}`, verdict(m.rssPeak < TARGET_RSS_MB)],
        ['RSS mean, MB', fmt(m.rssMean, 1), '', ''],
        ['polls answered per s', fmt(m.okPerS, 1), fmtInt(METERS), verdict(pollsOk)],
        ['polls sent per s', fmt(m.sentPerS, 1), '', ''],
        ['errors (bad reply / timeout > 2 s)', `${m.errors} (${m.badReply} / ${m.timeout})`, '0', verdict(m.errors === 0)],
        ['round trip p50 / p99, ms', `${fmt(m.p50, 2)} / ${fmt(m.p99, 2)}`, '', ''],
      ],
    ),
    '',
    `RSS right after start-up (before polling): ${fmt(m.startupRssMb, 1)} MB. Measured window: ${fmt(m.wallS, 1)} s.`,
  ].join('\n');
}
