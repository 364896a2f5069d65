/**
 * Runs mbload (simulator/bench/mbload.c, a libmodbus load generator compiled by scripts/bench.js)
 * and parses its one result line: `ok=N err=M failed_connections=K reqs_per_s=X`.
 */
import { runToEnd } from './child-process.js';

export interface MbloadArgs {
  host: string;
  port: number;
  connections: number;
  seconds: number;
  units: number;
  fc: 3 | 4;
  address: number;
  count: number;
}

export interface MbloadResult {
  ok: number;
  err: number;
  failedConnections: number;
  reqsPerS: number;
}

export function mbloadArgv(a: MbloadArgs): string[] {
  return [a.host, a.port, a.connections, a.seconds, a.units, a.fc, a.address, a.count].map(String);
}

/** The command line as a reader would type it, with PORT standing for the port chosen at run time. */
export function mbloadCommandLine(a: Omit<MbloadArgs, 'port'>): string {
  return ['mbload', a.host, 'PORT', a.connections, a.seconds, a.units, a.fc, a.address, a.count].join(' ');
}

export function parseMbload(stdout: string): MbloadResult | undefined {
  const m = /ok=(\d+) err=(\d+) failed_connections=(\d+) reqs_per_s=(\d+)/.exec(stdout);
  if (!m) return undefined;
  return { ok: Number(m[1]), err: Number(m[2]), failedConnections: Number(m[3]), reqsPerS: Number(m[4]) };
}

/** The mbload binary the runner built, or why there is none (BENCH_MBLOAD / BENCH_MBLOAD_MISSING). */
export function mbloadBinary(): { path: string } | { missing: string } {
  const path = process.env.BENCH_MBLOAD;
  if (path) return { path };
  return { missing: process.env.BENCH_MBLOAD_MISSING ?? 'BENCH_MBLOAD not set: run through `npm run bench`' };
}

/** `wrap`: a command to run mbload under, e.g. ['taskset', '-c', '1'] to pin it to a core. */
export async function runMbload(binary: string, a: MbloadArgs, wrap: string[] = []): Promise<MbloadResult> {
  const argv = mbloadArgv(a);
  const r = wrap.length ? await runToEnd(wrap[0]!, [...wrap.slice(1), binary, ...argv], (a.seconds + 30) * 1000) : await runToEnd(binary, argv, (a.seconds + 30) * 1000);
  const parsed = parseMbload(r.stdout);
  if (!parsed) throw new Error(`mbload gave no result (exit ${r.code}): ${r.stdout}${r.stderr}`);
  return parsed;
}
