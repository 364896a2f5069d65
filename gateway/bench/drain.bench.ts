/**
 * Backlog drain: 1,000,000 readings pre-loaded into the outbox, forwarded by the uplink to a local
 * mosquitto until the outbox is empty (QoS 1, rows deleted after PUBACK). Side by side in the same
 * run: mosquitto_pub -l -q 1 sending the same number of messages with the same payloads.
 */
import { spawn } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import pino from 'pino';
import { openOutbox } from '../src/adapters/store/index.js';
import { createUplink, batchReadings, readingsPayload } from '../src/adapters/uplink/index.js';
import type { NewReading, StoredReading } from '../src/core/model.js';
import { startBenchBroker } from './mosquitto-process.js';

const READINGS = 1_000_000;
const METERS = 247;
const TARGET = 50_000;
const BATCH = 500;
const INFLIGHT = 32;
const READ_AHEAD = Math.min(20_000, Math.max(10_000, BATCH * INFLIGHT)); // the uplink's default
const T0 = 1_763_800_000_000;

function reading(i: number): NewReading {
  return { meter: `m${String(i % METERS).padStart(3, '0')}`, ts: T0 + Math.floor(i / METERS) * 1000, values: { voltageL1: 229.8, power: 1520 + (i % 7), energyImport: 1_234_567 + i } };
}

/** The messages the uplink sends for this backlog: rows read READ_AHEAD at a time, batched per meter. */
function expectedPayloads(): string[] {
  const seqs = new Map<string, number>();
  const out: string[] = [];
  for (let start = 0; start < READINGS; start += READ_AHEAD) {
    const rows: StoredReading[] = [];
    for (let i = start; i < Math.min(READINGS, start + READ_AHEAD); i++) {
      const r = reading(i);
      const seq = (seqs.get(r.meter) ?? 0) + 1;
      seqs.set(r.meter, seq);
      rows.push({ ...r, id: i + 1, seq });
    }
    for (const b of batchReadings(rows, BATCH, () => true)) out.push(readingsPayload(b));
  }
  return out;
}

async function mosquittoPub(url: string, file: string): Promise<number> {
  const port = new URL(url).port;
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const p = spawn('mosquitto_pub', ['-h', '127.0.0.1', '-p', port, '-q', '1', '-t', 'pe-bench/gw-bench/meters/m000/readings', '-l', '--id', 'bench-pub'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    createReadStream(file).pipe(p.stdin);
    p.once('error', reject);
    p.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`mosquitto_pub exited ${code}: ${err}`))));
  });
  return performance.now() - t0;
}

export async function run(): Promise<{ id: string; title: string; command: string; markdown: string; skipped?: string }> {
  const dir = mkdtempSync(join(process.env.BENCH_TMP ?? tmpdir(), 'drain-'));
  let broker: Awaited<ReturnType<typeof startBenchBroker>> | undefined;
  try {
    broker = await startBenchBroker();
    const outbox = await openOutbox({ path: join(dir, 'outbox.db'), maxReadings: 5_000_000, maxBytes: 4 * 2 ** 30, synchronous: 'normal' });
    const load0 = performance.now();
    for (let i = 0; i < READINGS; i += 10_000) await outbox.appendReadings(Array.from({ length: Math.min(10_000, READINGS - i) }, (_, k) => reading(i + k)));
    const loadMs = performance.now() - load0;

    const uplink = createUplink({
      cfg: { url: broker.url, topicPrefix: 'pe-bench', clientId: 'gw-bench', persistentSession: false, keepaliveSec: 30, reconnectMinMs: 100, reconnectMaxMs: 1000, batchSize: BATCH, inflight: INFLIGHT, healthIntervalMs: 60_000 },
      gatewayId: 'gw-bench',
      outbox,
      log: pino({ level: 'silent' }),
      version: 'bench',
    });
    const t0 = performance.now();
    await uplink.start();
    for (;;) {
      const s = await outbox.stats();
      if (s.readings === 0 && uplink.state().inflight === 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const drainMs = performance.now() - t0;
    const st = uplink.state();
    await uplink.stop();
    await outbox.close();

    const payloads = expectedPayloads();
    const file = join(dir, 'payloads.txt');
    writeFileSync(file, payloads.join('\n') + '\n');
    const bytes = payloads.reduce((a, p) => a + Buffer.byteLength(p), 0);
    const pubMs = await mosquittoPub(broker.url, file);

    const gwRate = Math.round(READINGS / (drainMs / 1000));
    const pubRate = Math.round(READINGS / (pubMs / 1000));
    return {
      id: 'drain',
      title: 'Gateway: backlog drain to a local mosquitto',
      command: `gateway/bench/drain.bench.ts; reference: mosquitto_pub -q 1 -l < payloads (${payloads.length.toLocaleString('en')} lines)`,
      markdown: [
        `${READINGS.toLocaleString('en')} readings of ${METERS} meters (3 values each) pre-loaded into the outbox (${(loadMs / 1000).toFixed(1)} s), then forwarded by the uplink (QoS 1, batchSize ${BATCH}, inflight ${INFLIGHT}, rows deleted after PUBACK) until the outbox was empty.`,
        `Reference in the same run: \`mosquitto_pub -q 1 -l\` sending the same payloads (${payloads.length.toLocaleString('en')} messages, ${(bytes / 2 ** 20).toFixed(1)} MiB, batched the way the uplink batches them) to the same broker.`,
        '',
        '| sender | messages | elapsed | readings/s | target |',
        '|---|---:|---:|---:|---:|',
        `| gateway uplink (outbox -> MQTT, delete after PUBACK) | ${st.published.readingMessages.toLocaleString('en')} | ${(drainMs / 1000).toFixed(2)} s | ${gwRate.toLocaleString('en')} | >= ${TARGET.toLocaleString('en')} |`,
        `| mosquitto_pub -l -q 1 (same payloads) | ${payloads.length.toLocaleString('en')} | ${(pubMs / 1000).toFixed(2)} s | ${pubRate.toLocaleString('en')} | |`,
        '',
        `Gateway / mosquitto_pub: ${(gwRate / pubRate).toFixed(2)}. Verdict: ${gwRate >= TARGET ? 'meets' : 'misses'} the target. (mosquitto_pub sends every line on one topic; the uplink uses one topic per meter.)`,
      ].join('\n'),
    };
  } finally {
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
