/** `ledger statement` and `ledger verify` on the gateway's database (safe while the service runs: WAL). */
import { existsSync } from 'node:fs';
import { PrepaidError, systemClock } from '@prepaid-edge/protocols';
import type { GatewayConfig } from '../../core/config/gateway-config.js';
import { loadConfig } from '../config/load-config.js';
import { openLedger, readStatement, statementReportCsv, type Ledger, type StatementReport, type VerifyReport } from '../../adapters/store/ledger/index.js';
import { guarded } from './fail.js';

async function withLedger<T>(cfg: GatewayConfig, job: (l: Ledger) => Promise<T>): Promise<T> {
  // openLedger would create a missing file: a typo in storage.path must not make an empty ledger.
  if (!existsSync(cfg.storage.path)) throw new PrepaidError('E_STORE_OPEN', `${cfg.storage.path}: no database (the gateway has not run with this storage.path)`, { path: cfg.storage.path });
  const ledger = await openLedger(cfg.storage.path, { clock: systemClock, synchronous: cfg.storage.synchronous });
  try {
    return await job(ledger);
  } finally {
    await ledger.close();
  }
}

const LABELS: Record<string, string> = {
  topup: 'top-ups',
  consumption: 'consumption',
  'friendly-debt': 'consumption in a friendly period (debt)',
  'standing-charge': 'standing charges',
  'emergency-credit-taken': 'emergency credit taken',
  'emergency-credit-repaid': 'emergency credit repaid',
  adjustment: 'adjustments',
};

export function statementText(r: StatementReport): string {
  const unit = r.currency ? `${r.currency} sub-units` : r.creditUnit === 'energy' ? 'Wh' : 'sub-units';
  const rows: Array<[string, number]> = [['opening balance', r.opening]];
  for (const l of r.lines) {
    const what = l.kind === 'other' ? `other (${(l.kinds ?? []).join(', ')})` : (LABELS[l.kind] ?? l.kind);
    const band = l.band !== undefined ? ` ${l.band}${l.tier ? ` tier ${l.tier}` : ''}` : '';
    const wh = l.wh !== undefined ? `, ${l.wh} Wh` : '';
    rows.push([`${what}${band} (${l.count}${wh})`, l.amount]);
  }
  rows.push(['closing balance', r.closing]);
  const w = Math.max(...rows.map(([k]) => k.length));
  const n = Math.max(...rows.map(([, v]) => String(v).length));
  return [
    `statement: meter ${r.meter}, customer ${r.customer}`,
    `  ${r.from} .. ${r.to} inclusive, local days in ${r.timezone} (${r.fromIso} .. ${r.toIso}); amounts in ${unit}`,
    ...rows.map(([k, v]) => `  ${k.padEnd(w)}  ${String(v).padStart(n)}`),
    `  check: opening ${r.opening} + lines ${r.closing - r.opening} = closing ${r.closing} (${r.entries} entries)`,
  ].join('\n') + '\n';
}

export function statementCommand(o: { config: string; meter: string; from: string; to: string; json?: boolean; csv?: boolean }): Promise<void> {
  return guarded(async () => {
    if (o.json && o.csv) throw new PrepaidError('E_LEDGER_INPUT', '--json and --csv: choose one', { path: 'format' });
    const cfg = loadConfig(o.config);
    const r = await withLedger(cfg, (l) => readStatement(l, { meter: o.meter, from: o.from, to: o.to, zone: cfg.gateway.timezone }));
    process.stdout.write(o.json ? `${JSON.stringify(r, null, 2)}\n` : o.csv ? statementReportCsv(r) : statementText(r));
  });
}

export function verifyText(v: VerifyReport, accounts: number): string {
  if (v.ok) return `ledger verify: ok, ${accounts} account${accounts === 1 ? '' : 's'}: every balance is the sum of its entries\n`;
  return [`ledger verify: ${v.mismatches.length} mismatch${v.mismatches.length === 1 ? '' : 'es'} in ${accounts} accounts`, ...v.mismatches.map((m) => `  MISMATCH meter ${m.meter}${m.entryId !== undefined ? ` entry ${m.entryId}` : ''}: stored ${m.stored}, replay ${m.replay}`)].join('\n') + '\n';
}

export function verifyCommand(o: { config: string; json?: boolean }): Promise<void> {
  return guarded(async () => {
    const cfg = loadConfig(o.config);
    const { v, accounts } = await withLedger(cfg, async (l) => ({ v: await l.verify(), accounts: (await l.accounts()).length }));
    process.stdout.write(o.json ? `${JSON.stringify({ ...v, accounts }, null, 2)}\n` : verifyText(v, accounts));
    if (!v.ok) process.exitCode = 1;
  });
}

/** The doctor's look at the ledger (read through the same replay check). */
export async function ledgerVerdict(cfg: GatewayConfig): Promise<{ verdict: 'PASS' | 'WARN' | 'FAIL'; reason: string } | undefined> {
  if (!cfg.credit) return undefined;
  if (!existsSync(cfg.storage.path)) return { verdict: 'WARN', reason: 'no database yet (created when the gateway first starts)' };
  try {
    const { v, accounts } = await withLedger(cfg, async (l) => ({ v: await l.verify(), accounts: (await l.accounts()).length }));
    if (v.ok) return { verdict: 'PASS', reason: `replay check ok (${accounts} accounts)` };
    const m = v.mismatches[0]!;
    return { verdict: 'FAIL', reason: `${v.mismatches.length} mismatches, first: meter ${m.meter}${m.entryId !== undefined ? ` entry ${m.entryId}` : ''} stored ${m.stored}, replay ${m.replay} (prepaid-gateway ledger verify lists them)` };
  } catch (e) {
    return { verdict: 'FAIL', reason: `cannot read the ledger: ${(e as Error).message}` };
  }
}
