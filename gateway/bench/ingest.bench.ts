/**
 * Ingest: sustained readings/s into the SQLite outbox with synchronous=full, fed the way the
 * gateway feeds it (one appendReadings([r]) per poll result, many in flight at once) for ~10 s.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { openOutbox } from '../src/adapters/store/index.js';
import type { NewReading } from '../src/core/model.js';

const DURATION_MS = 10_000;
const METERS = 247;
const IN_FLIGHT = 1000;
const TARGET = 100_000;

export async function run(): Promise<{ id: string; title: string; command: string; markdown: string }> {
  const dir = mkdtempSync(join(process.env.BENCH_TMP ?? tmpdir(), 'ingest-'));
  try {
    const outbox = await openOutbox({ path: join(dir, 'outbox.db'), maxReadings: 50_000_000, maxBytes: 8 * 2 ** 30, synchronous: 'full' });
    let n = 0;
    const reading = (): NewReading => {
      const i = n++;
      return { meter: `m${i % METERS}`, ts: 1_763_800_000_000 + i, values: { voltageL1: 229.8, voltageL2: 230.1, voltageL3: 231.4, power: 1520 + (i % 7), energyImport: 1_234_567 + i } };
    };
    const t0 = performance.now();
    let done = 0;
    await new Promise<void>((resolve, reject) => {
      let inflight = 0;
      const pump = (): void => {
        while (inflight < IN_FLIGHT && performance.now() - t0 < DURATION_MS) {
          inflight++;
          outbox.appendReadings([reading()]).then(() => {
            done++;
            inflight--;
            if (performance.now() - t0 < DURATION_MS) pump();
            else if (inflight === 0) resolve();
          }, reject);
        }
      };
      pump();
    });
    const elapsed = performance.now() - t0;
    const stats = await outbox.stats();
    await outbox.close();
    const rate = Math.round(done / (elapsed / 1000));
    const verdict = rate >= TARGET ? 'meets' : 'misses';
    return {
      id: 'ingest',
      title: 'Gateway: ingest into the SQLite outbox (synchronous=full)',
      command: 'gateway/bench/ingest.bench.ts',
      markdown: [
        `${done.toLocaleString('en')} readings (5 values each, ${METERS} meters) appended one per call with up to ${IN_FLIGHT} calls in flight, for ${(elapsed / 1000).toFixed(1)} s; WAL, synchronous=full.`,
        '',
        `| readings/s | target | rows at end | bytes at end |`,
        `|---:|---:|---:|---:|`,
        `| ${rate.toLocaleString('en')} | >= ${TARGET.toLocaleString('en')} | ${stats.readings.toLocaleString('en')} | ${stats.readingBytes.toLocaleString('en')} |`,
        '',
        `Verdict: ${verdict} the target.`,
      ].join('\n'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
