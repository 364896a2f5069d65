/**
 * Consumption priced reading by reading but not yet booked. Each reading is priced from the
 * previous reading (so time-of-use and tiers follow the real load profile), and the sums are
 * booked as one entry per kind when the account is next posted. Lost on a crash: the next reading
 * after a restart is then priced from the last booked cursor, over the whole gap, so nothing is
 * charged twice or lost — only the gap's energy is spread evenly over it, as after a failed read.
 */
import type { ChargeCursor, ChargeResult, NewEntry } from './contracts.js';

export interface PendingCharges {
  /** Advanced with every reading. */
  cursor: ChargeCursor;
  /** Where the last booking left off. */
  from: { ts: number; wh: number };
  consumption: number;
  friendlyDebt: number;
  standing: Array<{ day: string; amount: number; tariff: string }>;
  /** Demand charges of billing months that ended (booked as standing-charge, cause.charge 'demand'). */
  demand?: Array<{ month: string; maxDemandW: number; pricePerKw: number; amount: number; tariff: string }>;
  /** Per period and tier: Wh and sub-units, for the entry's cause. */
  lines: Map<string, { period: string; tier: number; wh: number; amount: number }>;
}

export function startPending(booked: ChargeCursor): PendingCharges {
  return { cursor: booked, from: { ts: booked.lastTs, wh: booked.lastWh }, consumption: 0, friendlyDebt: 0, standing: [], lines: new Map() };
}

export function addReading(p: PendingCharges, charged: ChargeResult, kind: 'consumption' | 'friendly-debt', standing: { days: PendingCharges['standing']; cursor: ChargeCursor }): void {
  if (kind === 'consumption') p.consumption += charged.amount;
  else p.friendlyDebt += charged.amount;
  for (const l of charged.lines) {
    const key = `${l.period}/${l.tier}`;
    const agg = p.lines.get(key) ?? { period: l.period, tier: l.tier, wh: 0, amount: 0 };
    agg.wh += l.wh;
    agg.amount += l.amount;
    p.lines.set(key, agg);
  }
  p.standing.push(...standing.days);
  p.cursor = standing.cursor;
}

/** addReading without changing `p` (the step that decides never changes what it was given). */
export function withReading(p: PendingCharges, charged: ChargeResult, kind: 'consumption' | 'friendly-debt', standing: { days: PendingCharges['standing']; cursor: ChargeCursor }): PendingCharges {
  const lines = new Map(p.lines);
  for (const l of charged.lines) {
    const key = `${l.period}/${l.tier}`;
    const agg = lines.get(key);
    lines.set(key, { period: l.period, tier: l.tier, wh: (agg?.wh ?? 0) + l.wh, amount: (agg?.amount ?? 0) + l.amount });
  }
  return {
    cursor: standing.cursor,
    from: p.from,
    consumption: p.consumption + (kind === 'consumption' ? charged.amount : 0),
    friendlyDebt: p.friendlyDebt + (kind === 'friendly-debt' ? charged.amount : 0),
    standing: standing.days.length ? [...p.standing, ...standing.days] : p.standing,
    ...(p.demand ? { demand: p.demand } : {}),
    lines,
  };
}

/** The sub-units pending, as they will reduce the balance. */
export function pendingTotal(p: PendingCharges | undefined): number {
  return p ? p.consumption + p.friendlyDebt + p.standing.reduce((s, d) => s + d.amount, 0) + (p.demand ?? []).reduce((s, d) => s + d.amount, 0) : 0;
}

export function pendingEntries(p: PendingCharges, ts: number): NewEntry[] {
  const cause = { fromWh: p.from.wh, toWh: p.cursor.lastWh, from: p.from.ts, to: p.cursor.lastTs, lines: [...p.lines.values()].map((l) => [l.period, l.tier, l.wh, l.amount]) };
  const out: NewEntry[] = [];
  if (p.consumption > 0) out.push({ kind: 'consumption', amount: -p.consumption, ts, cause });
  if (p.friendlyDebt > 0) out.push({ kind: 'friendly-debt', amount: -p.friendlyDebt, ts, cause });
  for (const d of p.standing) if (d.amount > 0) out.push({ kind: 'standing-charge', amount: -d.amount, ts, cause: { day: d.day, tariff: d.tariff } });
  for (const d of p.demand ?? []) if (d.amount > 0) out.push({ kind: 'standing-charge', amount: -d.amount, ts, cause: { charge: 'demand', month: d.month, maxDemandW: d.maxDemandW, pricePerKw: d.pricePerKw, tariff: d.tariff } });
  return out;
}
