/**
 * Trip latency, in real time: a Gateway (src/app/runtime.ts) with its credit section polls N simulated
 * `prepaid` firmware meters over Modbus TCP every second. Each meter has a constant load and a small
 * opening balance so its credit runs out at a known instant, spread over about a minute. Measured:
 * from the instant the meter's energy register reached the paid-for energy (exhaustion) to the
 * verified open relay (the gateway's `relay-disconnected` audit row, written after the readback).
 *
 * Exhaustion instant, exactly: with a constant integer load the register steps 1 Wh every
 * 3.6e6/W ms. The bench samples each simulated meter's own register (its true state at an instant,
 * computed synchronously, so the sample's time and value belong together however late the event
 * loop runs) and every sample bounds the phase of those steps, so the instant the register reached
 * the gateway's first reading + balance is known to a few ms (the spread is reported). Simulator and
 * gateway share one clock, so the audit row's time and the samples' times are on one time line.
 * (The stored readings cannot bound the phase: a reading's time is taken when the reply has been
 * handled, which on a busy machine is a hundred ms or more after the meter sampled its register.)
 *
 * The meters' own backup disconnect threshold is switched off (a friendly window that never
 * applies: spendable() is null, threshold 0), so the relay opens only on the gateway's command and
 * the gateway's path is what is measured.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import YAML from 'yaml';
import { systemClock } from '@prepaid-edge/protocols';
import { Simulator } from '@prepaid-edge/simulator';
import { parseConfig } from '../src/app/config/load-config.js';
import { createLogger } from '../src/adapters/log.js';
import { Gateway } from '../src/app/runtime.js';
import { openOutbox } from '../src/adapters/store/index.js';
import type { StoredReading } from '../src/core/model.js';

const METERS = 20;
const POLL_MS = 1000;
const WATTS = 10_000;
/** Wh per ms of the constant load. */
const RATE = WATTS / 3_600_000;
/** Exhaustion about 8 s .. 68 s after start (sub-unit = 1 Wh: 1000 per kWh at 1000 sub-units/unit). */
const balanceOf = (i: number) => Math.round((8_000 + (60_000 * i) / (METERS - 1)) * RATE);
const TARGET_MS = POLL_MS + 200;

function quantile(sorted: number[], q: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

/** The meter's own register at an instant. */
interface Sample {
  ts: number;
  wh: number;
}

/** [lo, hi] for phi, the instant of the register's step to value r0: step j is at phi + j/RATE. */
function phase(samples: Sample[], r0: number): { lo: number; hi: number } {
  let lo = -Infinity;
  let hi = Infinity;
  for (const r of samples) {
    const j = r.wh - r0;
    // reading r saw step j (phi + j/RATE <= ts) but not step j+1 (phi + (j+1)/RATE > ts).
    lo = Math.max(lo, r.ts - (j + 1) / RATE);
    hi = Math.min(hi, r.ts - j / RATE);
  }
  return { lo, hi };
}

export async function run(): Promise<{ id: string; title: string; command: string; markdown: string }> {
  const dir = mkdtempSync(join(process.env.BENCH_TMP ?? tmpdir(), 'trip-'));
  const clock = systemClock;
  const sim = new Simulator({ profile: 'prepaid', meters: METERS, seed: 'trip-latency', clock });
  try {
    for (let u = 1; u <= METERS; u++) sim.setLoad(u, { type: 'constant', watts: WATTS });
    const port = await sim.listenTcp(0);
    const dbPath = join(dir, 'gw.db');
    const raw = {
      gateway: { id: 'gw-trip', timezone: 'UTC' },
      storage: { path: dbPath, synchronous: 'normal' },
      mqtt: { url: 'mqtt://127.0.0.1:1', topicPrefix: 'pe-bench' },
      buses: [{ id: 'b1', type: 'tcp', host: '127.0.0.1', port, timeoutMs: 500 }],
      meters: Array.from({ length: METERS }, (_, i) => ({ id: `p${i + 1}`, bus: 'b1', unit: i + 1, profile: 'prepaid', pollMs: POLL_MS })),
      log: { level: 'silent' },
      credit: {
        tariffs: { wh: { id: 'wh', creditUnit: 'currency', currency: 'EUR', subunitsPerUnit: 1000, periods: [{ id: 'flat', pricePerKwh: 1000 }], tou: [], defaultPeriod: 'flat', standingChargePerDay: 0 } },
        policies: {
          p: {
            id: 'p',
            lowCreditThresholds: [20, 10],
            emergencyCredit: null,
            friendly: { windows: [{ days: ['holiday'], from: '00:00', to: '00:00' }], holidays: [] },
            disconnectNoticeMs: 0,
            maxDebt: 0,
            reconnect: { mode: 'auto', threshold: 100 },
          },
        },
        classes: { r: { tariff: 'wh', policy: 'p' } },
        accounts: Array.from({ length: METERS }, (_, i) => ({ meter: `p${i + 1}`, customer: `C-${i + 1}`, class: 'r', openingBalance: balanceOf(i) })),
      },
    };
    const cfg = parseConfig(YAML.stringify(raw), join(dir, 'trip.yaml'));
    const gw = new Gateway(cfg, { log: createLogger({ level: 'silent' }), clock });
    const samples: Sample[][] = Array.from({ length: METERS }, () => []);
    const sample = () => {
      for (const s of sim.states()) {
        const fw = (s as { firmware?: { energyImportWh: number } }).firmware;
        if (s.relayClosed && fw && fw.energyImportWh >= 0) samples[s.unit - 1]!.push({ ts: s.atMs, wh: fw.energyImportWh });
      }
    };
    const sampler = setInterval(sample, 100);
    await gw.start();
    const deadline = clock.now() + 8_000 + 60_000 + 15_000;
    while (clock.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1000));
      const open = (await gw.credit!.ledger.auditLog({ action: 'relay-disconnected' })).length;
      if (open >= METERS && clock.now() > deadline - 10_000) break;
    }
    clearInterval(sampler);
    const audit = await gw.credit!.ledger.auditLog({ action: 'relay-disconnected' });
    const backupOpened = sim.states().filter((s) => !s.relayClosed).length;
    await gw.stop();

    const outbox = await openOutbox(cfg.storage);
    const stored: StoredReading[] = [];
    for (;;) {
      const page = await outbox.pendingReadings(5000, stored.at(-1)?.id ?? 0);
      stored.push(...page);
      if (page.length < 5000) break;
    }
    await outbox.close();

    const rows: Array<{ meter: string; latency: number; spread: number; result: string }> = [];
    for (let i = 0; i < METERS; i++) {
      const meter = `p${i + 1}`;
      const own = stored.filter((r) => r.meter === meter).sort((a, b) => a.ts - b.ts);
      const a = audit.filter((x) => x.meter === meter);
      if (!own.length || !a.length) continue;
      // The gateway charges from its first reading; only samples taken while the load ran (before the trip).
      const r0 = own[0]!.values.energyImport!;
      const { lo, hi } = phase(samples[i]!.filter((r) => r.ts < a[0]!.ts), r0);
      if (!(lo <= hi)) throw new Error(`${meter}: the meter's register samples do not fit a constant ${WATTS} W load (phase ${lo}..${hi})`);
      // A stored reading never shows a register value before the meter reached it.
      const early = own.find((r) => r.ts < a[0]!.ts && r.ts + 5 < lo + (r.values.energyImport! - r0) / RATE);
      if (early) throw new Error(`${meter}: reading at ${early.ts} shows ${early.values.energyImport} Wh before the meter reached it`);
      // Credit (1 sub-unit per Wh) is used up at step number `balance`.
      const exhaust = (lo + hi) / 2 + balanceOf(i) / RATE;
      rows.push({ meter, latency: a[0]!.ts - exhaust, spread: (hi - lo) / 2, result: String((a[0]!.detail as { result?: string }).result) });
    }
    const lat = rows.map((r) => r.latency).sort((x, y) => x - y);
    const p50 = quantile(lat, 0.5);
    const p95 = quantile(lat, 0.95);
    const p99 = quantile(lat, 0.99);
    const max = lat.at(-1) ?? NaN;
    const verified = rows.filter((r) => r.result === 'verified').length;
    const spread = Math.max(...rows.map((r) => r.spread));
    const ok = rows.length === METERS && verified === METERS && lat[0]! >= 0 && p99 <= TARGET_MS;
    const f = (x: number) => x.toFixed(0);
    return {
      id: 'trip-latency',
      title: 'Credit: trip latency from exhaustion to verified open relay (real time)',
      command: 'gateway/bench/trip-latency.bench.ts',
      markdown: [
        `A \`Gateway\` with its credit section polls ${METERS} simulated \`prepaid\` firmware meters over Modbus TCP (127.0.0.1) every ${POLL_MS} ms, in real time. Each meter carries a constant ${WATTS / 1000} kW load and an opening balance of 8 to 68 s of energy, so credit runs out at instants spread over a minute. Latency = the gateway's verified \`relay-disconnected\` audit row (written after the relay readback) minus the instant the meter's energy register reached the paid-for energy (from samples of the meter's own register every 100 ms, on the clock the gateway stamps its audit rows with: exact to ±${f(spread)} ms). The meters' own backup disconnect threshold is off (policy with a friendly window that never applies, so \`spendable()\` is null), so every relay was opened by the gateway's command: this is the gateway's path — poll, charge, rules, ledger posting, relay write and readback.`,
        '',
        `| trips | verified | p50 ms | p95 ms | p99 ms | max ms | target p99 |`,
        `|---:|---:|---:|---:|---:|---:|---:|`,
        `| ${rows.length}/${METERS} | ${verified} | ${f(p50)} | ${f(p95)} | ${f(p99)} | ${f(max)} | <= ${TARGET_MS} ms (one poll + 200 ms) |`,
        '',
        `Relays open at the end: ${backupOpened}/${METERS}. With ${METERS} samples p99 is the maximum.`,
        '',
        `Verdict: ${ok ? 'meets' : 'misses'} the target.`,
      ].join('\n'),
    };
  } finally {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
