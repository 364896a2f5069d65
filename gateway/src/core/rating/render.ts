/**
 * Reminder messages from templates (data: one file per language, `{name}` placeholders). Amounts
 * are formatted from integer sub-units without floating point.
 */
import type { Reminder, ReminderKind } from './types.js';

export type Templates = Record<ReminderKind, string>;

/** 12840 sub-units at 1000 per unit -> "12.840"; -5 -> "-0.005". */
export function formatAmount(amount: number, subunitsPerUnit: number): string {
  const digits = Math.max(0, Math.round(Math.log10(subunitsPerUnit)));
  if (subunitsPerUnit <= 1 || 10 ** digits !== subunitsPerUnit) return String(amount);
  const sign = amount < 0 ? '-' : '';
  const abs = Math.abs(amount);
  return `${sign}${Math.floor(abs / subunitsPerUnit)}.${String(abs % subunitsPerUnit).padStart(digits, '0')}`;
}

/** The local date and time of an instant, "YYYY-MM-DD HH:MM", in `zone`. */
export function formatInstant(ms: number, zone: string): string {
  const f = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  return f.format(ms).replace(',', '');
}

const MONEY = new Set(['balance', 'amount', 'debt']);

/** Fill a template: money fields formatted, `at` as local time, `{unit}` the currency or "Wh". */
export function render(templates: Templates, r: Reminder, o: { subunitsPerUnit: number; unit: string; zone: string }): string {
  const template = templates[r.kind];
  const vars: Record<string, string> = { meter: r.meter, unit: o.unit };
  for (const [k, v] of Object.entries(r.data)) {
    if (v === null) vars[k] = '-';
    else if (MONEY.has(k) && typeof v === 'number') vars[k] = formatAmount(v, o.subunitsPerUnit);
    else if (k === 'at' && typeof v === 'number') vars[k] = formatInstant(v, o.zone);
    else vars[k] = String(v);
  }
  return template.replace(/\{([A-Za-z]+)\}/g, (m, name: string) => vars[name] ?? m);
}
