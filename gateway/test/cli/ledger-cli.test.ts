/**
 * `ledger statement` and `ledger verify` as the installed CLI, on a real SQLite file made by offline
 * top-ups; a tampered balance makes verify exit 1, doctor FAIL and the statement refuse. The same
 * statement from the running gateway's API (json and csv, bearer token), and the verify metric.
 */
import { existsSync } from 'node:fs';
import test from 'ava';
import { freePort } from '@prepaid-edge/testkit/mosquitto';
import { openLedger } from '../../src/adapters/store/ledger/index.js';
import { rawExec } from '../ledger/fixtures.js';
import { waitFor } from '../uplink/helpers.js';
import { API_TOKEN, cliGateway, consoleSection } from './cli-fixture.js';
import { cli, spawnCli } from './run-cli.js';

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
// UTC gateway (the fixture's default zone): yesterday .. tomorrow holds today's entries whatever the hour.
const FROM = iso(Date.now() - DAY);
const TO = iso(Date.now() + DAY);

async function withTopups(t: import('ava').ExecutionContext, over: Record<string, unknown> = {}) {
  const g = cliGateway(t, over);
  for (const amount of ['5000', '250']) {
    const r = await cli(['topup', '-c', g.file, '--meter', 'p1', '--amount', amount]);
    t.is(r.code, 0, r.stderr);
  }
  return g;
}

test('ledger statement (text, --json, --csv) adds up to the ledger; ledger verify exits 0, and 1 with the mismatch listed after tampering', async (t) => {
  t.timeout(240_000);
  const g = await withTopups(t);

  const text = await cli(['ledger', 'statement', '-c', g.file, '--meter', 'p1', '--from', FROM, '--to', TO]);
  t.is(text.code, 0, text.stderr);
  t.regex(text.stdout, new RegExp(`statement: meter p1, customer C-1\\n  ${FROM} \\.\\. ${TO} inclusive, local days in UTC`));
  t.regex(text.stdout, /opening balance\s+0\n/);
  t.regex(text.stdout, /top-ups \(2\)\s+5250\n/);
  t.regex(text.stdout, /adjustments \(1\)\s+1000\n/, 'the opening balance of the account');
  t.regex(text.stdout, /closing balance\s+6250\n/);
  t.regex(text.stdout, /check: opening 0 \+ lines 6250 = closing 6250 \(3 entries\)/);

  const js = await cli(['ledger', 'statement', '-c', g.file, '--meter', 'p1', '--from', FROM, '--to', TO, '--json']);
  t.is(js.code, 0, js.stderr);
  const s = JSON.parse(js.stdout) as { opening: number; closing: number; lines: Array<{ kind: string; amount: number; count: number }>; timezone: string; fromIso: string };
  const ledger = await openLedger(g.db);
  const balance = (await ledger.account('p1'))!.balance;
  await ledger.close();
  t.is(s.closing, balance, 'closes on the stored balance');
  t.is(s.opening + s.lines.reduce((a, l) => a + l.amount, 0), s.closing);
  t.deepEqual(s.lines.map((l) => [l.kind, l.count, l.amount]), [['topup', 2, 5250], ['adjustment', 1, 1000]]);
  t.is(s.fromIso, `${FROM}T00:00:00.000Z`);

  const csv = await cli(['ledger', 'statement', '-c', g.file, '--meter', 'p1', '--from', FROM, '--to', TO, '--csv']);
  t.is(csv.code, 0, csv.stderr);
  t.deepEqual(csv.stdout.trim().split('\n').map((l) => l.split(',').at(-1)), ['amount', '0', '5250', '1000', '6250']);

  // A window before anything happened: opening = closing = 0, no lines.
  const before = JSON.parse((await cli(['ledger', 'statement', '-c', g.file, '--meter', 'p1', '--from', '2025-01-01', '--to', '2025-01-31', '--json'])).stdout) as { opening: number; closing: number; lines: unknown[] };
  t.like(before, { opening: 0, closing: 0, lines: [] });

  const bad = await cli(['ledger', 'statement', '-c', g.file, '--meter', 'p1', '--from', '2026-02-30', '--to', TO]);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /E_LEDGER_INPUT: from: not a calendar date/);
  const nobody = await cli(['ledger', 'statement', '-c', g.file, '--meter', 'p9', '--from', FROM, '--to', TO]);
  t.is(nobody.code, 2);
  t.regex(nobody.stderr, /E_LEDGER_UNKNOWN_ACCOUNT/);

  const ok = await cli(['ledger', 'verify', '-c', g.file]);
  t.is(ok.code, 0, ok.stderr);
  t.regex(ok.stdout, /ledger verify: ok, 1 account: every balance is the sum of its entries/);
  t.like(JSON.parse((await cli(['ledger', 'verify', '-c', g.file, '--json'])).stdout), { ok: true, mismatches: [], accounts: 1 });
  t.regex((await cli(['doctor', '-c', g.file])).stdout, /PASS {2}ledger: replay check ok \(1 accounts\)/);

  // Someone edits the balance with a sqlite3 shell (accounts are not append-only, entries are).
  await rawExec(g.db, "UPDATE ledger_accounts SET balance = balance + 7 WHERE meter = 'p1'");
  const mism = await cli(['ledger', 'verify', '-c', g.file]);
  t.is(mism.code, 1);
  t.regex(mism.stdout, /ledger verify: 1 mismatch in 1 accounts\n {2}MISMATCH meter p1: stored 6257, replay 6250/);
  const mj = await cli(['ledger', 'verify', '-c', g.file, '--json']);
  t.is(mj.code, 1);
  t.like(JSON.parse(mj.stdout), { ok: false, mismatches: [{ meter: 'p1', stored: 6257, replay: 6250 }] });
  const doc = await cli(['doctor', '-c', g.file]);
  t.is(doc.code, 1);
  t.regex(doc.stdout, /FAIL {2}ledger: 1 mismatches, first: meter p1 stored 6257, replay 6250/);
  const refused = await cli(['ledger', 'statement', '-c', g.file, '--meter', 'p1', '--from', FROM, '--to', TO]);
  t.is(refused.code, 2);
  t.regex(refused.stderr, /E_LEDGER_MISMATCH: statement of p1: closing 6250 != stored balance 6257/);
});

test('ledger verify on a path with no database says so (exit 2) and creates nothing', async (t) => {
  const g = cliGateway(t);
  const r = await cli(['ledger', 'verify', '-c', g.file]);
  t.is(r.code, 2);
  t.regex(r.stderr, /E_STORE_OPEN: .*gw\.db: no database/);
  t.is((await cli(['ledger', 'statement', '-c', g.file, '--meter', 'p1', '--from', FROM, '--to', TO])).code, 2);
  t.false(existsSync(g.db));
});

test('the running gateway serves the same statement on GET /api/meters/:id/statement (json, csv download), only with a token; /metrics has the verify result', async (t) => {
  t.timeout(240_000);
  const port = await freePort();
  const g = await withTopups(t, { console: await consoleSection(port) });
  const gw = spawnCli(t, ['run', '-c', g.file]);
  const base = `http://127.0.0.1:${port}`;
  await waitFor(`console up\n${gw.stderr()}`, async () => (await fetch(`${base}/api/health`).catch(() => undefined))?.ok === true, 60_000);
  const auth = { authorization: `Bearer ${API_TOKEN}` };
  const url = `${base}/api/meters/p1/statement?from=${FROM}&to=${TO}`;

  t.is((await fetch(url)).status, 401, 'authenticated like the rest of the API');
  const js = await fetch(url, { headers: auth });
  t.is(js.status, 200);
  const body = (await js.json()) as { opening: number; closing: number; lines: Array<{ kind: string; amount: number }> };
  const cliJson = JSON.parse((await cli(['ledger', 'statement', '-c', g.file, '--meter', 'p1', '--from', FROM, '--to', TO, '--json'])).stdout) as unknown;
  t.deepEqual(body, cliJson, 'the API and the CLI give the same statement');
  t.is(body.closing, 6250);

  const csv = await fetch(`${url}&format=csv`, { headers: auth });
  t.is(csv.status, 200);
  t.regex(csv.headers.get('content-type') ?? '', /^text\/csv/);
  t.is(csv.headers.get('content-disposition'), `attachment; filename="statement-p1-${FROM}-${TO}.csv"`);
  t.regex(await csv.text(), /,closing,,,,,6250\n$/);

  t.is((await fetch(`${base}/api/meters/p1/statement?from=${FROM}`, { headers: auth })).status, 400, 'to is required');
  t.is((await fetch(`${base}/api/meters/nope/statement?from=${FROM}&to=${TO}`, { headers: auth })).status, 404);

  // Verified at start: the metric says ok, with the time of the check.
  await waitFor('the verify metric', async () => /^prepaid_ledger_verify_ok 1$/m.test(await (await fetch(`${base}/metrics`, { headers: auth })).text()), 20_000);
  const m = await (await fetch(`${base}/metrics`, { headers: auth })).text();
  const at = Number(/^prepaid_ledger_verify_timestamp_seconds (\S+)$/m.exec(m)?.[1]);
  t.true(Math.abs(at * 1000 - Date.now()) < 120_000, `verified at ${at}`);
  t.regex(m, /^prepaid_ledger_verify_mismatches 0$/m);
  gw.proc.kill('SIGTERM');
  t.is(await gw.exited, 0, gw.stderr());
});
