/**
 * Reads what a statement needs from the ledger and builds it (core/ledger/statement.ts): the
 * account, and its entries in id order up to the first at or after the window's end. Dates are
 * local calendar days in the gateway's time zone, both inclusive: --from 2026-03-01 --to 2026-03-31
 * is from 00:00 on 1 March to 00:00 on 1 April local time (a DST change inside is fine: the days are
 * 23 or 25 h long then).
 */
import { PrepaidError } from '@prepaid-edge/protocols';
import type { StoredEntry } from '../../../core/credit/contracts.js';
import { buildStatement, statementCsv, type Statement } from '../../../core/ledger/statement.js';
import { addDays, dayStart, isCalendarDate } from '../../../core/tariff/local-time.js';
import type { Ledger } from './ledger.js';

export interface StatementQuery {
  meter: string;
  /** Local dates 'YYYY-MM-DD', inclusive. */
  from: string;
  to: string;
  /** IANA zone (gateway.timezone). */
  zone: string;
}

export interface StatementReport extends Statement {
  from: string;
  to: string;
  timezone: string;
  customer: string;
  creditUnit: 'currency' | 'energy';
  currency?: string;
  /** The window as ISO instants: [fromIso, toIso). */
  fromIso: string;
  toIso: string;
}

const PAGE = 1000;

export function statementWindow(q: Pick<StatementQuery, 'from' | 'to' | 'zone'>): { fromTs: number; toTs: number } {
  for (const [k, v] of [['from', q.from], ['to', q.to]] as const) if (typeof v !== 'string' || !isCalendarDate(v)) throw new PrepaidError('E_LEDGER_INPUT', `${k}: not a calendar date YYYY-MM-DD (${String(v)})`, { path: k });
  if (q.to < q.from) throw new PrepaidError('E_LEDGER_INPUT', `to (${q.to}) is before from (${q.from})`, { path: 'to' });
  return { fromTs: dayStart(q.from, q.zone), toTs: dayStart(addDays(q.to, 1), q.zone) };
}

export async function readStatement(ledger: Pick<Ledger, 'account' | 'entries'>, q: StatementQuery): Promise<StatementReport> {
  const { fromTs, toTs } = statementWindow(q);
  const account = await ledger.account(q.meter);
  if (!account) throw new PrepaidError('E_LEDGER_UNKNOWN_ACCOUNT', `no ledger account for meter ${JSON.stringify(q.meter)}`, { meter: q.meter });
  const entries: StoredEntry[] = [];
  let afterId = 0;
  /** An entry at or after the window's end exists (else the window holds the account's last entry). */
  let cut = false;
  for (let done = false; !done; ) {
    const page = await ledger.entries(q.meter, { afterId, limit: PAGE });
    for (const e of page) {
      if (e.ts >= toTs) {
        done = cut = true;
        break;
      }
      entries.push(e);
    }
    if (page.length < PAGE) done = true;
    else afterId = page.at(-1)!.id;
  }
  const s = buildStatement({ meter: q.meter, entries, fromTs, toTs });
  // A window that reaches the account's last entry closes on the stored balance, or the ledger is damaged.
  if (!cut && s.closing !== account.balance) throw new PrepaidError('E_LEDGER_MISMATCH', `statement of ${q.meter}: closing ${s.closing} != stored balance ${account.balance}`, { meter: q.meter, stored: account.balance, replay: s.closing });
  return {
    ...s,
    from: q.from,
    to: q.to,
    timezone: q.zone,
    customer: account.customer,
    creditUnit: account.creditUnit,
    ...(account.currency ? { currency: account.currency } : {}),
    fromIso: new Date(fromTs).toISOString(),
    toIso: new Date(toTs).toISOString(),
  };
}

export function statementReportCsv(r: StatementReport): string {
  return statementCsv(r, { from: r.from, to: r.to, timezone: r.timezone, creditUnit: r.creditUnit, ...(r.currency ? { currency: r.currency } : {}) });
}
