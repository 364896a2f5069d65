/**
 * What the credit work remembers per account between inputs: the account as last committed (this
 * engine is the accounts' only writer, so it keeps them in memory instead of reading SQLite for
 * every reading), charges priced but not booked, the relay readback, latched tamper, peak power,
 * a confirmed counter reset and the days' usage. The decision step reads it as a MeterMemory value.
 */
import type { Account, SupplyState } from '../../core/credit/contracts.js';
import type { CreditDecision, MeterMemory, UsageAdd } from '../../core/credit/decision.js';
import type { PendingCharges } from '../../core/credit/pending-charges.js';
import { UsageWindow } from '../../core/credit/usage-window.js';
import type { Ledger } from '../store/ledger/index.js';

export class AccountMemory {
  private readonly cached = new Map<string, Account>();
  private readonly pending = new Map<string, PendingCharges>();
  private readonly relay = new Map<string, SupplyState>();
  private readonly resetPending = new Set<string>();
  private readonly tamper = new Map<string, readonly string[]>();
  private readonly peakPowerW = new Map<string, number>();
  private readonly usage = new Map<string, UsageWindow>();
  /** A meter swap's new start register (Wh) and when, until the counter drop it causes is seen. */
  private readonly swaps = new Map<string, { newStartWh: number; ts: number }>();

  constructor(private readonly ledger: Pick<Ledger, 'account'>) {}

  async account(meter: string): Promise<Account | undefined> {
    const hit = this.cached.get(meter);
    if (hit) return hit;
    const a = await this.ledger.account(meter);
    if (a) this.cached.set(meter, a);
    return a;
  }

  async load(meter: string): Promise<MeterMemory | undefined> {
    const account = await this.account(meter);
    if (!account) return undefined;
    const m: MeterMemory = { account, resetPending: this.resetPending.has(meter), tamper: this.tamper.get(meter) ?? [], usage: this.usageOf(meter) };
    const pending = this.pending.get(meter);
    if (pending) m.pending = pending;
    const relay = this.relay.get(meter);
    if (relay) m.relay = relay;
    const peak = this.peakPowerW.get(meter);
    if (peak !== undefined) m.peakPowerW = peak;
    return m;
  }

  async mustLoad(meter: string): Promise<MeterMemory> {
    const m = await this.load(meter);
    if (!m) throw new Error(`no account for ${meter}`);
    return m;
  }

  /** Keep what a decision observed (before its posting: the pending charges include this reading); `stale`: a posting follows. */
  keep(meter: string, m: CreditDecision['memory'], usage: UsageAdd | undefined, stale: boolean): void {
    if (stale) this.cached.delete(meter);
    if (m.pending) this.pending.set(meter, m.pending);
    if (m.relay) this.relay.set(meter, m.relay);
    if (m.resetPending) this.resetPending.add(meter);
    else this.resetPending.delete(meter);
    if (m.tamper.length) this.tamper.set(meter, m.tamper);
    if (m.peakPowerW !== undefined) this.peakPowerW.set(meter, m.peakPowerW);
    if (usage) this.usageOf(meter).add(usage.day, usage.amount);
  }

  /** The account as last committed, if it is in memory (no read). */
  cachedAccount(meter: string): Account | undefined {
    return this.cached.get(meter);
  }

  /**
   * A posting committed: what was pending is booked. With `account` (the account before the posting
   * with the ledger's balance after it and the state and cursor the posting wrote) the memory keeps
   * it, so the next reading does not read the account back from SQLite.
   */
  committed(meter: string, account?: Account): void {
    this.pending.delete(meter);
    if (account) this.cached.set(meter, account);
  }

  readback(meter: string): SupplyState | undefined {
    return this.relay.get(meter);
  }

  setReadback(meter: string, state: SupplyState): void {
    this.relay.set(meter, state);
  }

  markReset(meter: string): void {
    this.resetPending.add(meter);
  }

  tamperOf(meter: string): readonly string[] {
    return this.tamper.get(meter) ?? [];
  }

  /** At start: what was latched before the restart. */
  restoreTamper(meter: string, kinds: readonly string[]): void {
    if (kinds.length) this.tamper.set(meter, kinds);
  }

  clearTamper(meter: string): void {
    this.tamper.delete(meter);
  }

  /** A new holder (account-open): nothing of the previous one's memory is kept. */
  forget(meter: string): void {
    this.cached.delete(meter);
    this.pending.delete(meter);
    this.resetPending.delete(meter);
    this.usage.delete(meter);
    this.swaps.delete(meter);
  }

  noteSwap(meter: string, newStartWh: number, ts: number): void {
    this.swaps.set(meter, { newStartWh, ts });
  }

  /**
   * Whether a counter reset the poller reports (register dropped to `toWh` at `ts`) is the meter
   * swap already accounted for (the new meter's register, at or above its start reading, within an
   * hour of the swap): then it must not re-baseline, or the new meter's first Wh would go uncharged.
   */
  takeSwap(meter: string, toWh: unknown, ts: number): boolean {
    const s = this.swaps.get(meter);
    if (!s) return false;
    this.swaps.delete(meter);
    return typeof toWh === 'number' && toWh >= s.newStartWh && ts - s.ts <= 3_600_000;
  }

  pendingMeters(): string[] {
    return [...this.pending.keys()];
  }

  track(meter: string): void {
    this.usageOf(meter);
  }

  private usageOf(meter: string): UsageWindow {
    let u = this.usage.get(meter);
    if (!u) this.usage.set(meter, (u = new UsageWindow()));
    return u;
  }
}
