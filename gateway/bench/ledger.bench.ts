/**
 * Ledger: 10,000 accounts charged once a minute (one consumption posting per meter per minute, with
 * its charge cursor and an audit row), synchronous=full. Measures one minute's postings done as
 * 10,000 transactions (post) and as one transaction (postMany): wall time, CPU time of the process
 * (node-sqlite3 works on libuv threads of this process, so SQLite's CPU is included), and the bytes
 * the process wrote to storage (/proc/self/io write_bytes: WAL appends, checkpoints into the main
 * file, fsync'd) per minute and extrapolated per hour.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { AccountState, ChargeCursor } from '../src/core/credit/contracts.js';
import { openLedger, type Ledger, type Posting } from '../src/adapters/store/ledger/index.js';

const ACCOUNTS = 10_000;
const BUDGET_MS = 60_000;
const POST_MINUTES = 1;
const BATCH_MINUTES = 10;
const T0 = 1_764_547_200_000; // 2025-12-01 00:00 UTC
const STATE: AccountState = { supply: 'connected', warned: -1, emergency: { offered: false, inUse: false, outstanding: 0 }, disconnectAt: null, friendlyZero: false };

const meter = (i: number): string => `meter-${String(i).padStart(5, '0')}`;

function writeBytes(): number {
  return Number(/^write_bytes:\s+(\d+)/m.exec(readFileSync('/proc/self/io', 'utf8'))?.[1] ?? NaN);
}

function fileBytes(path: string): number {
  let n = 0;
  for (const f of [path, `${path}-wal`]) {
    try {
      n += statSync(f).size;
    } catch {
      // no WAL yet
    }
  }
  return n;
}

/** The posting a minute's charge makes for meter i: about what charging hands the ledger. */
function charge(i: number, minute: number): Posting {
  const ts = T0 + minute * 60_000;
  const wh = 1000 + minute * 8 + (i % 5);
  const cursor: ChargeCursor = { lastWh: wh, lastTs: ts, remainderMilli: (i * 37 + minute) % 1000, month: '2025-12', monthWh: minute * 8, standingDay: '2025-12-01' };
  return {
    meter: meter(i),
    ts,
    entries: [{ kind: 'consumption', amount: -(1 + ((i + minute) % 9)), ts, cause: { readings: [minute * 2, minute * 2 + 1], tariff: 'res-tou-2025', period: 'flat' } }],
    cursor,
    audit: { action: 'charge', cause: 'consumption', detail: { wh: 8 } },
  };
}

interface Measure {
  wallMs: number;
  cpuMs: number;
  writeBytes: number;
  growthBytes: number;
}

async function measure(path: string, job: () => Promise<void>): Promise<Measure> {
  const w0 = writeBytes();
  const g0 = fileBytes(path);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await job();
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { wallMs, cpuMs: (c.user + c.system) / 1000, writeBytes: writeBytes() - w0, growthBytes: fileBytes(path) - g0 };
}

const mib = (b: number): string => (b / 2 ** 20).toFixed(1);
const s = (ms: number): string => (ms / 1000).toFixed(2);

export async function run(): Promise<{ id: string; title: string; command: string; markdown: string }> {
  const dir = mkdtempSync(join(process.env.BENCH_TMP ?? tmpdir(), 'ledger-'));
  const path = join(dir, 'gateway.db');
  try {
    // Setup at synchronous=normal (not measured), then everything measured at full.
    const setup = await openLedger(path, { synchronous: 'normal', integrityCheck: 'none' });
    for (let i = 0; i < ACCOUNTS; i++) await setup.ensureAccount({ meter: meter(i), customer: `c${i}`, customerClass: 'residential', creditUnit: 'currency', currency: 'CNY' }, STATE);
    await setup.postMany(Array.from({ length: ACCOUNTS }, (_, i) => ({ meter: meter(i), ts: T0, entries: [{ kind: 'topup', amount: 1_000_000, ts: T0, cause: { command: `seed-${i}` } }], audit: { action: 'topup', cause: 'seed' } })));
    await setup.close();

    const l: Ledger = await openLedger(path, { synchronous: 'full', integrityCheck: 'none' });
    let minute = 1;
    // Warm-up minute (page cache, statement cache), not counted.
    await l.postMany(Array.from({ length: ACCOUNTS }, (_, i) => charge(i, minute)));
    minute++;

    const perPost: Measure[] = [];
    for (let k = 0; k < POST_MINUTES; k++, minute++) {
      const m = minute;
      perPost.push(await measure(path, async () => {
        for (let i = 0; i < ACCOUNTS; i++) await l.post(charge(i, m));
      }));
    }
    const batched: Measure[] = [];
    for (let k = 0; k < BATCH_MINUTES; k++, minute++) {
      const m = minute;
      batched.push(await measure(path, async () => {
        const rs = await l.postMany(Array.from({ length: ACCOUNTS }, (_, i) => charge(i, m)));
        const failed = rs.filter((r) => !r.ok).length;
        if (failed > 0) throw new Error(`${failed} postings failed`);
      }));
    }
    const verifyT0 = performance.now();
    const report = await l.verify();
    const verifyMs = performance.now() - verifyT0;
    if (!report.ok) throw new Error(`verify failed: ${report.mismatches.length} mismatches`);
    const entries = (minute) * ACCOUNTS;
    await l.close();
    const dbBytes = statSync(path).size;

    const avg = (ms: Measure[], f: (m: Measure) => number): number => ms.reduce((a, m) => a + f(m), 0) / ms.length;
    const row = (name: string, ms: Measure[]): string => {
      const wall = avg(ms, (m) => m.wallMs);
      const cpu = avg(ms, (m) => m.cpuMs);
      const wb = avg(ms, (m) => m.writeBytes);
      const growth = avg(ms, (m) => m.growthBytes);
      return `| ${name} | ${ms.length} | ${s(wall)} s | ${Math.round(ACCOUNTS / (wall / 1000)).toLocaleString('en')} | ${s(cpu)} s | ${((cpu / BUDGET_MS) * 100).toFixed(1)} % | ${mib(wb)} MiB | ${(wb * 60 / 2 ** 30).toFixed(2)} GiB | ${mib(growth)} MiB | ${wall <= BUDGET_MS ? 'meets' : 'misses'} |`;
    };
    const postWall = avg(perPost, (m) => m.wallMs);
    return {
      id: 'ledger',
      title: 'Gateway: ledger, 10,000 accounts charged every minute',
      command: 'gateway/bench/ledger.bench.ts',
      markdown: [
        `${ACCOUNTS.toLocaleString('en')} accounts in one SQLite file (WAL, \`synchronous=full\`). One minute's work = one consumption posting per meter: one entry, the charge cursor, one audit row, the account's balance, all in one transaction per posting (\`post\`, awaited one after another) or all 10,000 postings in one transaction (\`postMany\`: two reads, then one multi-row statement per table). Each row is the average over the measured minutes (after one warm-up minute).`,
        '',
        '| API | minutes measured | wall per minute | postings/s | CPU per minute | share of one core | written per minute | written per hour (x60) | DB+WAL file growth per minute | 60 s budget |',
        '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
        row('post (10,000 transactions)', perPost),
        row('postMany (1 transaction)', batched),
        '',
        `- CPU is \`process.cpuUsage()\` (user + system, all threads of the process, so SQLite's work on the libuv pool counts); share of one core = CPU per minute / 60 s.`,
        `- Written = \`write_bytes\` of \`/proc/self/io\` over the minute: the bytes this process caused to be written to storage (WAL frames, checkpoints copying pages into the main file), after fsync; per hour = per minute x 60. File growth is shown beside it and is smaller because the WAL file is reused after each checkpoint.`,
        `- At the end: ${entries.toLocaleString('en')} entries, database ${mib(dbBytes)} MiB, \`verify()\` over all accounts ${s(verifyMs)} s (ok).`,
        '',
        `Verdict: one transaction per posting ${postWall <= BUDGET_MS ? `fits in the 60 s budget (${s(postWall)} s), with little margin: it waits on one fsync per posting, whose latency varies from run to run` : `misses the 60 s budget (${s(postWall)} s)`}; postMany does the same minute in ${s(avg(batched, (m) => m.wallMs))} s and writes about ${(avg(perPost, (m) => m.writeBytes) / avg(batched, (m) => m.writeBytes)).toFixed(0)}x fewer bytes, because every transaction appends whole pages (the account's, the last entries and audit pages, their index pages) to the WAL and fsyncs, while one transaction writes each page once. Charging should post a minute's charges with postMany.`,
      ].join('\n'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
