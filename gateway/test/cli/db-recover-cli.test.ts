/**
 * A damaged database at start (issue 18, storage faults): the gateway refuses it with a clear
 * error that names `db recover` — never a silent start with an empty ledger — and `prepaid-gateway
 * db recover` salvages what is intact into a new file, verifies the ledger there, reports what was
 * lost, and with --replace puts it in place so the gateway starts again with every balance. Real
 * SQLite files, pages damaged on disk as a failing SD card does, the installed CLI as a process.
 */
import { closeSync, openSync, readdirSync, statSync, truncateSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { loadConfig } from '../../src/app/config/load-config.js';
import { openOutbox } from '../../src/adapters/store/index.js';
import { openLedger } from '../../src/adapters/store/ledger/index.js';
import { raw } from '../ledger/fixtures.js';
import { cliGateway, type CliGateway } from './cli-fixture.js';
import { cli, spawnCli } from './run-cli.js';

const READINGS = 20_000;

/** A gateway file as the service leaves it: three top-ups booked by the CLI, then many readings. */
async function populated(t: ExecutionContext): Promise<{ gw: CliGateway; balance: number }> {
  const gw = cliGateway(t);
  for (const amount of [500, 1200, 300]) {
    const r = await cli(['topup', '-c', gw.file, '--meter', 'p1', '--amount', String(amount), '--note', 'cash']);
    t.is(r.code, 0, r.stderr);
  }
  const outbox = await openOutbox(loadConfig(gw.file).storage);
  const ts0 = Date.UTC(2026, 11, 1);
  for (let i = 0; i < READINGS; i += 1000)
    await outbox.appendReadings(Array.from({ length: 1000 }, (_, k) => ({ meter: 'p1', ts: ts0 + (i + k) * 1000, values: { energyImportWh: i + k, voltageV: 230 } })));
  await outbox.close();
  const l = await openLedger(gw.db);
  const balance = (await l.account('p1'))!.balance;
  t.true((await l.verify()).ok);
  await l.close();
  t.is(balance, 1000 + 500 + 1200 + 300);
  return { gw, balance };
}

/** Overwrite one b-tree leaf page of `table` in the middle of its pages, on disk. */
async function damageLeafOf(path: string, table: string): Promise<number> {
  const pages = (await raw(path, "SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno", [table])).map((r) => Number(r.pageno));
  const size = Number((await raw(path, 'PRAGMA page_size'))[0]!.page_size);
  const page = pages[Math.floor(pages.length / 2)]!;
  const fd = openSync(path, 'r+');
  writeSync(fd, Buffer.alloc(size, 0xa5), 0, size, (page - 1) * size);
  closeSync(fd);
  return page;
}

test('a damaged readings page: run refuses naming db recover; recover keeps every ledger row and all other readings; the gateway starts', async (t) => {
  const { gw, balance } = await populated(t);
  const page = await damageLeafOf(gw.db, 'readings');
  t.log(`damaged page ${page}`);

  const check = await cli(['db', 'check', '-c', gw.file]);
  t.is(check.code, 1);
  t.regex(check.stdout, /damaged/);

  const run = await cli(['run', '-c', gw.file], { timeoutMs: 60_000 });
  t.not(run.code, 0, 'the gateway does not start on a damaged file');
  t.regex(run.stderr, /E_STORE_CORRUPT/);
  t.regex(run.stderr, /prepaid-gateway db recover/);

  const rec = await cli(['db', 'recover', '-c', gw.file, '--replace', '--yes', '--json']);
  t.is(rec.code, 1, `rows were lost, so exit 1: ${rec.stderr}`);
  const report = JSON.parse(rec.stdout) as { tables: Array<{ table: string; copied: number; lost: Array<{ from: number; to: number }> }>; ledger: { ok: boolean }; replaced: string; integrity: string[] };
  const readings = report.tables.find((x) => x.table === 'readings')!;
  t.true(readings.lost.length >= 1, 'the damaged page is reported as lost rowids');
  const lostRows = readings.lost.reduce((n, l) => n + (l.to - l.from + 1), 0);
  t.true(lostRows < 200, `one page of readings, not more (${lostRows})`);
  t.is(readings.copied + lostRows, READINGS, 'every rowid is either copied or reported lost');
  for (const x of report.tables.filter((y) => y.table.startsWith('ledger_'))) t.deepEqual(x.lost, [], `${x.table} lost nothing`);
  t.true(report.ledger.ok);
  t.deepEqual(report.integrity, ['ok']);
  t.true(statSync(report.replaced).size > 0, 'the damaged file is kept aside');

  // The recovered file is the gateway's file again: balances, audit, the rest of the readings.
  const l = await openLedger(gw.db);
  t.is((await l.account('p1'))!.balance, balance);
  t.true((await l.verify()).ok);
  t.is((await l.auditLog({ meter: 'p1' })).filter((a) => a.action.startsWith('topup')).length, 3);
  await l.close();
  const { n, maxId } = (await raw(gw.db, 'SELECT count(*) AS n, max(id) AS maxId FROM readings'))[0] as { n: number; maxId: number };
  t.is(n, readings.copied);
  t.is(maxId, READINGS);
  const again = await cli(['db', 'check', '-c', gw.file]);
  t.is(again.code, 0, again.stdout);
  // And the gateway runs on it: still up after its start, then a clean stop.
  const gwRun = spawnCli(t, ['run', '-c', gw.file]);
  const early = await Promise.race([gwRun.exited, new Promise((r) => setTimeout(() => r('running'), 4000))]);
  t.is(early, 'running', gwRun.stderr());
  gwRun.proc.kill('SIGTERM');
  t.is(await gwRun.exited, 0, gwRun.stderr());
  t.notRegex(gwRun.stderr() + gwRun.stdout(), /E_STORE_CORRUPT/);
  t.true(readdirSync(dirname(gw.db)).some((f) => f.includes('.damaged-')));
});

test('a torn file (the tail of the file never written): recover salvages the pages that are there and says the rest is lost', async (t) => {
  const { gw, balance } = await populated(t);
  truncateSync(gw.db, Math.floor(statSync(gw.db).size * 0.7));
  const run = await cli(['run', '-c', gw.file], { timeoutMs: 60_000 });
  t.not(run.code, 0);
  t.regex(run.stderr, /E_STORE_CORRUPT/);
  const rec = await cli(['db', 'recover', '-c', gw.file, '--json']);
  t.is(rec.stderr, '', 'recover ran');
  const report = JSON.parse(rec.stdout) as { target: string; tables: Array<{ table: string; copied: number; lost: unknown[] }>; ledger: { ok: boolean } };
  t.is(rec.code, 1);
  const readings = report.tables.find((x) => x.table === 'readings')!;
  t.true(readings.copied > 0 && readings.copied < READINGS, `${readings.copied} readings salvaged`);
  t.true(readings.lost.length > 0);
  t.true(report.ledger.ok, 'the ledger pages were written first and survive');
  const l = await openLedger(report.target);
  t.is((await l.account('p1'))!.balance, balance);
  await l.close();
});

test('a healthy file: db check ok, db recover copies everything and exits 0', async (t) => {
  const gw = cliGateway(t);
  t.is((await cli(['topup', '-c', gw.file, '--meter', 'p1', '--amount', '700'])).code, 0);
  t.is((await cli(['db', 'check', '-c', gw.file])).code, 0);
  const rec = await cli(['db', 'recover', '-c', gw.file]);
  t.is(rec.code, 0, rec.stdout + rec.stderr);
  t.regex(rec.stdout, /ledger: verifies/);
  t.regex(rec.stdout, /--replace/);
});
