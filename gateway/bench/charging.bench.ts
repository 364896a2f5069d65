/**
 * Charging 10,000 meters every minute through the whole credit path: one reading per meter per
 * minute into the CreditEngine (ToU + tiered tariff, residential policy, per-reading pricing,
 * booking cadence 60 s so every minute is booked, postings of all meters coalesced by the engine),
 * into a real SQLite ledger at synchronous=full. Measures, per simulated minute: wall time, CPU
 * time of the process (node-sqlite3 works on this process's libuv threads, so SQLite's CPU is in
 * it), and bytes written to storage (/proc/self/io write_bytes), extrapolated per hour.
 */
import { systemClock } from '@prepaid-edge/protocols';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { Tariff } from '../src/core/credit/contracts.js';
import { COMMAND_DEFAULTS, type CreditConfig } from '../src/core/config/gateway-config.js';
import { CreditEngine } from '../src/adapters/credit/credit-engine.js';
import { parsePolicy } from '../src/core/policy/index.js';
import { parseTariff } from '../src/core/tariff/index.js';
import { openLedger } from '../src/adapters/store/ledger/index.js';
import { createLogger } from '../src/adapters/log.js';

const METERS = 10_000;
const WARMUP_MINUTES = 2;
const MINUTES = 10;
const T0 = Date.UTC(2026, 0, 12, 6, 0, 0);

const writeBytes = (): number => Number(/^write_bytes:\s+(\d+)/m.exec(readFileSync('/proc/self/io', 'utf8'))?.[1] ?? NaN);
const meter = (i: number): string => `m${String(i).padStart(5, '0')}`;

export async function run(): Promise<{ id: string; title: string; command: string; markdown: string }> {
  const dir = mkdtempSync(join(process.env.BENCH_TMP ?? tmpdir(), 'charging-'));
  const tariff = parseTariff(JSON.parse(readFileSync(new URL('../../examples/tariffs/tou-tiered.json', import.meta.url), 'utf8')) as Tariff);
  const policy = parsePolicy({ id: 'res', lowCreditThresholds: [30000, 10000], emergencyCredit: { amount: 10000, requiresButton: true }, friendly: { windows: [{ from: '22:00', to: '07:00' }], holidays: [] }, disconnectNoticeMs: 3_600_000, maxDebt: 20000, reconnect: { mode: 'auto', threshold: 5000 } });
  const config: CreditConfig = {
    tariffs: { t: [{ activeFrom: 0, tariff }] },
    policies: { res: policy },
    classes: { res: { tariff: 't', policy: 'res' } },
    accounts: Array.from({ length: METERS }, (_, i) => ({ meter: meter(i), customer: `C${i}`, customerClass: 'res', creditUnit: 'currency' as const, currency: tariff.currency!, openingBalance: 50_000_000 })),
    keys: [],
    commands: COMMAND_DEFAULTS,
    chargeEveryMs: 60_000,
  };
  let now = T0;
  let events = 0;
  const engineOn = (ledger: Awaited<ReturnType<typeof openLedger>>) =>
    new CreditEngine({ config, zone: 'Asia/Shanghai', ledger, clock: { ...systemClock, now: () => now }, log: createLogger({ level: 'silent' }), event: () => void events++, publishCredit: () => {}, relayFor: () => undefined });
  // Accounts are created once, at synchronous=normal (not measured); then the gateway restarts.
  const setup = await openLedger(join(dir, 'gateway.db'), { synchronous: 'normal', integrityCheck: 'none' });
  const first = engineOn(setup);
  await first.start();
  await first.stop();
  await setup.close();
  const ledger = await openLedger(join(dir, 'gateway.db'), { synchronous: 'full', integrityCheck: 'none' });
  const engine = engineOn(ledger);
  try {
    const s0 = performance.now();
    await engine.start();
    const startMs = performance.now() - s0;
    const wh = new Float64Array(METERS).fill(1_000_000);
    const minute = async (m: number) => {
      now = T0 + m * 60_000;
      const jobs: Array<Promise<void>> = [];
      for (let i = 0; i < METERS; i++) {
        wh[i]! += 5 + (i % 40); // 0.3 to 2.7 kW
        jobs.push(engine.onReading({ meter: meter(i), ts: now + (i % 1000), values: { energyImport: wh[i]!, power: (5 + (i % 40)) * 60 } }));
      }
      await Promise.all(jobs);
    };
    for (let m = 0; m < WARMUP_MINUTES; m++) await minute(m);
    const rows: string[] = [];
    let totalWall = 0;
    let totalCpu = 0;
    let totalBytes = 0;
    const tx0 = engine.postingStats.transactions;
    const p0 = engine.postingStats.postings;
    for (let m = WARMUP_MINUTES; m < WARMUP_MINUTES + MINUTES; m++) {
      const w0 = writeBytes();
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await minute(m);
      const wall = performance.now() - t0;
      const c = process.cpuUsage(c0);
      const cpu = (c.user + c.system) / 1000;
      const bytes = writeBytes() - w0;
      totalWall += wall;
      totalCpu += cpu;
      totalBytes += bytes;
      rows.push(`| ${m - WARMUP_MINUTES + 1} | ${(wall / 1000).toFixed(2)} | ${(cpu / 1000).toFixed(2)} | ${((cpu / 60_000) * 100).toFixed(1)} % | ${(bytes / 2 ** 20).toFixed(1)} |`);
    }
    const tx = engine.postingStats.transactions - tx0;
    const posts = engine.postingStats.postings - p0;
    const verify = await ledger.verify();
    const cpuShare = (totalCpu / MINUTES / 60_000) * 100;
    const perHourGiB = (totalBytes / MINUTES) * 60 / 2 ** 30;
    const markdown = [
      `${METERS.toLocaleString('en')} prepaid accounts (ToU + tiered tariff \`gateway/examples/tariffs/tou-tiered.json\`, residential policy with a friendly night window), one reading per meter per simulated minute through \`CreditEngine.onReading\` — priced, evaluated, and booked (entries, cursor, state, audit row) every minute — into a SQLite ledger at synchronous=full. The engine coalesces the postings made at the same time into shared transactions. ${WARMUP_MINUTES} warm-up minutes, then ${MINUTES} measured; wall and CPU of the whole process (SQLite runs on its libuv threads), bytes from /proc/self/io write_bytes.`,
      '',
      '| minute | wall, s | CPU, s | share of one core (of 60 s) | written, MiB |',
      '|---:|---:|---:|---:|---:|',
      ...rows,
      '',
      '| measure | result | target |',
      '|---|---:|---|',
      `| CPU per minute of charging (mean) | ${(totalCpu / MINUTES / 1000).toFixed(2)} s = ${cpuShare.toFixed(1)} % of one core | fits one core |`,
      `| wall per minute (mean) | ${(totalWall / MINUTES / 1000).toFixed(2)} s | < 60 s |`,
      `| SQLite write volume | ${(totalBytes / MINUTES / 2 ** 20).toFixed(1)} MiB/min = ${perHourGiB.toFixed(2)} GiB/h | reported |`,
      `| transactions per minute | ${(tx / MINUTES).toFixed(1)} (${(posts / Math.max(1, tx)).toFixed(0)} postings each) | |`,
      `| ledger verify after the run | ${verify.ok ? 'ok: every balance equals the replay of its entries' : `${verify.mismatches.length} mismatches`} | ok |`,
      '',
      `Gateway start with ${METERS.toLocaleString('en')} existing accounts (load, re-evaluate each): ${(startMs / 1000).toFixed(1)} s. Events raised: ${events}.`,
      `Verdict: ${totalWall / MINUTES < 60_000 && cpuShare < 100 && verify.ok ? `meets the target: one minute of charging for ${METERS.toLocaleString('en')} meters takes ${cpuShare.toFixed(1)} % of one core` : 'misses the target'}.`,
    ].join('\n');
    return { id: 'charging', title: 'Credit: 10,000 meters charged every minute (engine + ledger)', command: 'gateway/bench/charging.bench.ts', markdown };
  } finally {
    await engine.stop();
    await ledger.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
