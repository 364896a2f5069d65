/**
 * Simulator capacity: requests/s served over Modbus TCP on loopback with 64 concurrent clients,
 * side by side in one run with a pymodbus server serving the same registers. Target: >= 3x pymodbus.
 *
 * Both servers are single processes on 127.0.0.1; the load generator is mbload (C, libmodbus), so
 * the yardstick shares no code or runtime with either server. Rounds alternate which server goes
 * first; the medians are compared.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import { startHelper, type HelperProcess } from './child-process.js';
import { mbloadBinary, mbloadCommandLine, runMbload, type MbloadArgs, type MbloadResult } from './mbload.js';
import { BENCH_DIR, BENCH_SRC_DIR, type BenchResult } from './bench-result.js';
import type { SimServerConfig, SimServerReady } from './sim-server.js';
import { fmt, fmtInt, markdownTable, median } from './stats.js';
import { clockTicksPerSecond, cpuTicks, machineTicks } from './proc-stats.js';

const ID = 'tcp-capacity';
const TITLE = 'Simulator capacity over Modbus TCP vs pymodbus';
const PYTHON = '/usr/bin/python3';
const ROUNDS = 3;
const WARMUP_S = 2;
const TARGET_RATIO = 3;
const LOAD = { host: '127.0.0.1', connections: 64, seconds: 5, units: 3, fc: 4, address: 0, count: 76 } as const;

/** One mbload run and what it cost the server process and the machine. */
interface Measured extends MbloadResult {
  /** Server CPU (user+system) per answered request, microseconds. */
  serverUsPerReq: number;
  serverCpuPct: number;
  /** All cores busy, % (load generator + server + everything else). */
  machineBusyPct: number;
}

interface Round {
  sim: Measured;
  py: Measured;
}

async function measure(binary: string, args: MbloadArgs, serverPid: number, hz: number): Promise<Measured> {
  const cpu0 = cpuTicks(serverPid);
  const m0 = machineTicks();
  const t0 = performance.now();
  const r = await runMbload(binary, args);
  const wallS = (performance.now() - t0) / 1000;
  const serverS = (cpuTicks(serverPid) - cpu0) / hz;
  const m1 = machineTicks();
  return {
    ...r,
    serverUsPerReq: (serverS / Math.max(1, r.ok)) * 1e6,
    serverCpuPct: (serverS / wallS) * 100,
    machineBusyPct: ((m1.busy - m0.busy) / Math.max(1, m1.total - m0.total)) * 100,
  };
}

function skipped(reason: string): BenchResult {
  return { id: ID, title: TITLE, command: '', markdown: '', skipped: reason };
}

export async function run(): Promise<BenchResult> {
  const mbload = mbloadBinary();
  if ('missing' in mbload) return skipped(`mbload unavailable: ${mbload.missing}`);
  if (!existsSync(PYTHON)) return skipped(`${PYTHON} not found (install python3-pymodbus)`);

  const helpers: HelperProcess<unknown>[] = [];
  try {
    const simCfg: SimServerConfig = { profile: 'sdm630', buses: [LOAD.units], speed: 1, dump: { address: LOAD.address, count: LOAD.count } };
    const sim = await startHelper<SimServerReady>(process.execPath, [`${BENCH_DIR}sim-server.js`, JSON.stringify(simCfg)]);
    helpers.push(sim);
    const simPort = sim.ready.ports[0]!;
    const registers = sim.ready.registers ?? {};

    let py: HelperProcess<{ pid: number; port: number; version: string }>;
    try {
      py = await startHelper<{ pid: number; port: number; version: string }>(PYTHON, [`${BENCH_SRC_DIR}pymodbus_server.py`, JSON.stringify({ address: LOAD.address, registers })]);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      if (/No module named 'pymodbus'/.test(msg)) return skipped('python3-pymodbus is not installed (apt-get install python3-pymodbus)');
      throw e;
    }
    helpers.push(py);

    const simArgs: MbloadArgs = { ...LOAD, port: simPort };
    const pyArgs: MbloadArgs = { ...LOAD, port: py.ready.port };
    // a short discarded run each first: JIT warm-up (and pymodbus' first connections) out of the numbers
    await runMbload(mbload.path, { ...simArgs, seconds: WARMUP_S });
    await runMbload(mbload.path, { ...pyArgs, seconds: WARMUP_S });
    const hz = clockTicksPerSecond();
    const simRun = (): Promise<Measured> => measure(mbload.path, simArgs, sim.ready.pid, hz);
    const pyRun = (): Promise<Measured> => measure(mbload.path, pyArgs, py.ready.pid, hz);
    const rounds: Round[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      // alternate the order so neither server always runs on a warmer (or hotter) machine
      let s: Measured;
      let p: Measured;
      if (i % 2 === 0) {
        s = await simRun();
        p = await pyRun();
      } else {
        p = await pyRun();
        s = await simRun();
      }
      rounds.push({ sim: s, py: p });
      process.stderr.write(`[${ID}] round ${i + 1}: simulator ${s.reqsPerS} req/s (err ${s.err}), pymodbus ${p.reqsPerS} req/s (err ${p.err})\n`);
    }
    return { id: ID, title: TITLE, command: mbloadCommandLine(LOAD), markdown: report(rounds, py.ready.version) };
  } finally {
    await Promise.all(helpers.map((h) => h.stop()));
  }
}

function report(rounds: Round[], pymodbusVersion: string): string {
  const med = (pick: (r: Round) => number): number => median(rounds.map(pick));
  const simMed = med((r) => r.sim.reqsPerS);
  const pyMed = med((r) => r.py.reqsPerS);
  const ratio = simMed / pyMed;
  const errors = (pick: (r: Round) => MbloadResult): string => {
    const e = rounds.reduce((n, r) => n + pick(r).err, 0);
    const dead = rounds.reduce((n, r) => n + pick(r).failedConnections, 0);
    return dead ? `${e} (${dead} failed connections)` : String(e);
  };
  const verdict = ratio >= TARGET_RATIO ? `**met** (${fmt(ratio, 2)}x >= ${TARGET_RATIO}x)` : `**missed** (${fmt(ratio, 2)}x < ${TARGET_RATIO}x)`;
  return [
    `Requests/s answered over Modbus TCP on 127.0.0.1 by one simulator process (profile sdm630, 3 meters,`,
    `speed 1) and by one pymodbus ${pymodbusVersion} asyncio server (Debian python3-pymodbus) serving the same 76 input`,
    `registers for units 1..3 (values copied from the simulator, so replies are byte-identical in size).`,
    `Load: mbload (C, libmodbus), ${LOAD.connections} connections for ${LOAD.seconds} s each, FC 04 reads of ${LOAD.count} registers at ${LOAD.address}`,
    `cycling units 1..${LOAD.units}; load generator and server share the machine's cores. After a discarded ${WARMUP_S} s run`,
    `against each server, ${ROUNDS} rounds, order alternating. Server CPU is the server process's user+system time`,
    `(/proc/PID/stat); machine busy is all cores (/proc/stat), load generator included.`,
    '',
    markdownTable(
      ['round', 'simulator req/s', 'pymodbus req/s', 'ratio', 'simulator CPU, µs/req', 'pymodbus CPU, µs/req', 'machine busy (sim / py)'],
      rounds.map((r, i) => [
        String(i + 1),
        fmtInt(r.sim.reqsPerS),
        fmtInt(r.py.reqsPerS),
        `${fmt(r.sim.reqsPerS / r.py.reqsPerS, 2)}x`,
        `${fmt(r.sim.serverUsPerReq, 1)} (${fmt(r.sim.serverCpuPct, 0)}% of a core)`,
        `${fmt(r.py.serverUsPerReq, 1)} (${fmt(r.py.serverCpuPct, 0)}% of a core)`,
        `${fmt(r.sim.machineBusyPct, 0)}% / ${fmt(r.py.machineBusyPct, 0)}%`,
      ]),
    ),
    '',
    markdownTable(
      ['', 'simulator', 'pymodbus'],
      [
        ['median req/s', fmtInt(simMed), fmtInt(pyMed)],
        ['median server CPU, µs/req', fmt(med((r) => r.sim.serverUsPerReq), 1), fmt(med((r) => r.py.serverUsPerReq), 1)],
        ['failed requests (all rounds)', errors((r) => r.sim), errors((r) => r.py)],
      ],
    ),
    '',
    `Ratio of medians: **${fmt(ratio, 2)}x**. Target at least ${TARGET_RATIO}x pymodbus: ${verdict}.`,
    '',
    budget(rounds),
  ].join('\n');
}

/**
 * Where the CPU went in the simulator's runs: what the rest of the machine (mostly the load
 * generator) spent per request, and the request rate the cores could sustain at these costs.
 */
function budget(rounds: Round[]): string {
  const cores = os.cpus().length;
  const restUs = median(rounds.map((r) => ((r.sim.machineBusyPct / 100) * cores - r.sim.serverCpuPct / 100) * (1e6 / r.sim.reqsPerS)));
  const simUs = median(rounds.map((r) => r.sim.serverUsPerReq));
  const pyUs = median(rounds.map((r) => r.py.serverUsPerReq));
  const simCeiling = Math.min(1e6 / simUs, (cores * 1e6) / (simUs + restUs));
  const pyCeiling = Math.min(1e6 / pyUs, (cores * 1e6) / (pyUs + restUs));
  return [
    `CPU budget on this ${cores}-core machine: besides the server, the machine spent about ${fmt(restUs, 1)} µs of CPU per`,
    `request (load generator, kernel softirq, everything else). One request costs the simulator ${fmt(simUs, 1)} µs and`,
    `pymodbus ${fmt(pyUs, 1)} µs (${fmt(pyUs / simUs, 1)}x more), so at most about ${fmtInt(simCeiling)} vs ${fmtInt(pyCeiling)} req/s fit on`,
    `these cores (${fmt(simCeiling / pyCeiling, 1)}x): pymodbus is bound by its one core, the simulator by the cores it shares with`,
    `the load generator.`,
  ].join('\n');
}
