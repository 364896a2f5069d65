/**
 * `prepaid-gateway db check|recover`: what a technician does when the gateway refuses to start on
 * a damaged database (E_STORE_CORRUPT). `check` runs SQLite's integrity check read-only.
 * `recover` salvages every intact row into a new file beside it (the damaged file is never
 * changed), verifies the ledger on the result and reports what was lost, table by table; with
 * `--replace` it moves the damaged file aside (kept, with its -wal/-shm) and puts the recovered
 * one in its place. Exit code: 0 nothing lost and the ledger verifies, 1 something was lost or
 * the ledger does not verify (the recovered file is still written, for the head end to compare),
 * 2 it could not run.
 */
import { existsSync, renameSync } from 'node:fs';
import sqlite3 from 'sqlite3';
import { PrepaidError } from '@prepaid-edge/protocols';
import { loadConfig } from '../config/load-config.js';
import { salvageDatabase, type SalvageReport } from '../../adapters/store/salvage.js';
import { openLedger } from '../../adapters/store/ledger/index.js';
import type { VerifyReport } from '../../core/ledger/types.js';
import { confirm } from './confirm.js';
import { guarded } from './fail.js';
import { ownerPid } from './gateway-api.js';

const stamp = (ms: number): string => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');

function integrity(path: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(path, sqlite3.OPEN_READONLY, (err) => {
      if (err) return reject(err);
      db.all('PRAGMA integrity_check(50)', [], (e: Error | null, rows: Array<{ integrity_check: string }>) => {
        db.close(() => (e ? resolve([e.message]) : resolve(rows.map((r) => r.integrity_check))));
      });
    });
  });
}

function dbPath(config: string): string {
  const path = loadConfig(config).storage.path;
  if (!existsSync(path)) throw new PrepaidError('E_STORE_OPEN', `${path}: no database there (storage.path of ${config})`, { path });
  const pid = ownerPid(path);
  if (pid !== undefined) throw new PrepaidError('E_STORE_OPEN', `${path}: the gateway service (pid ${pid}) has it open; stop the service first`, { path, pid });
  return path;
}

export function dbCheckCommand(o: { config: string; json?: boolean }): Promise<void> {
  return guarded(async () => {
    const path = dbPath(o.config);
    const problems = (await integrity(path)).filter((r) => r !== 'ok');
    if (o.json) process.stdout.write(`${JSON.stringify({ path, ok: problems.length === 0, problems })}\n`);
    else process.stdout.write(problems.length === 0 ? `${path}: ok\n` : `${path}: damaged\n${problems.map((p) => `  ${p}`).join('\n')}\n  run: prepaid-gateway db recover -c ${o.config}\n`);
    if (problems.length) process.exitCode = 1;
  });
}

export function dbRecoverCommand(o: { config: string; out?: string; replace?: boolean; yes?: boolean; json?: boolean }): Promise<void> {
  return guarded(async () => {
    const path = dbPath(o.config);
    const now = Date.now();
    const out = o.out ?? `${path}.recovered-${stamp(now)}`;
    const before = (await integrity(path).catch((e: Error) => [e.message])).filter((r) => r !== 'ok');
    const report = await salvageDatabase(path, out);
    let ledger: VerifyReport | { error: string };
    try {
      const l = await openLedger(out);
      try {
        ledger = await l.verify();
      } finally {
        await l.close();
      }
    } catch (e) {
      ledger = { error: (e as Error).message };
    }
    const lostRows = report.tables.filter((t) => t.lost.length || t.unreadable || t.rejected);
    const good = lostRows.length === 0 && 'ok' in ledger && ledger.ok && report.integrity.join() === 'ok';
    let replaced: string | undefined;
    if (o.replace) {
      const yes = o.yes || (await confirm(`Move ${path} aside and use ${out} in its place?`));
      if (yes) replaced = replaceWith(path, out, now);
    }
    if (o.json) process.stdout.write(`${JSON.stringify({ path, damage: before, ...report, ledger, replaced: replaced ?? null, ok: good })}\n`);
    else process.stdout.write(render(path, before, report, ledger, replaced, o.config));
    process.exitCode = good ? 0 : 1;
  });
}

/** The damaged file (and its -wal/-shm) to `<path>.damaged-<stamp>`, the recovered file to `path`. */
function replaceWith(path: string, recovered: string, now: number): string {
  const aside = `${path}.damaged-${stamp(now)}`;
  for (const ext of ['', '-wal', '-shm']) if (existsSync(path + ext)) renameSync(path + ext, aside + ext);
  for (const ext of ['-wal', '-shm']) if (existsSync(recovered + ext)) renameSync(recovered + ext, path + ext);
  renameSync(recovered, path);
  return aside;
}

function render(path: string, damage: string[], r: SalvageReport, ledger: VerifyReport | { error: string }, replaced: string | undefined, config: string): string {
  const lines = [`${path}: ${damage.length ? `damaged (${damage.slice(0, 3).join('; ')})` : 'passes its integrity check'}`, `recovered into ${r.target}`, ''];
  const w = Math.max(5, ...r.tables.map((t) => t.table.length));
  lines.push(`${'table'.padEnd(w)}  rows copied  lost`);
  for (const t of r.tables) {
    const parts = [...t.lost.map((l) => `rowids ${l.from}..${l.to ?? 'end'}`), ...(t.rejected ? [`${t.rejected} garbage rows refused by the table's constraints`] : [])];
    const lost = t.unreadable ? `UNREADABLE: ${t.unreadable}` : parts.length ? parts.join(', ') : '-';
    lines.push(`${t.table.padEnd(w)}  ${String(t.copied).padStart(11)}  ${lost}`);
  }
  for (const s of r.skipped) lines.push(`not recreated: ${s}`);
  lines.push('');
  if ('error' in ledger) lines.push(`ledger: cannot be opened on the recovered file: ${ledger.error}`);
  else if (ledger.ok) lines.push('ledger: verifies (every balance equals the sum of its entries)');
  else lines.push(`ledger: DOES NOT VERIFY for ${ledger.mismatches.map((m) => `${m.meter} (stored ${m.stored}, entries sum to ${m.replay})`).join(', ')}`);
  const ledgerLost = r.tables.some((t) => t.table.startsWith('ledger_') && (t.lost.length || t.unreadable || t.rejected));
  if (ledgerLost) lines.push('LEDGER ROWS WERE LOST: rebuild these accounts from the head end\'s copy of the ledger stream before the gateway charges again.');
  if (replaced) lines.push(`\nthe damaged file is kept as ${replaced}; the recovered file is now ${path}: start the gateway`);
  else lines.push(`\nto use it: prepaid-gateway db recover -c ${config} --replace   (salvages again, moves the damaged file aside and keeps it)`);
  return `${lines.join('\n')}\n`;
}
