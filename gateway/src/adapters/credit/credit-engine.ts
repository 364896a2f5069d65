/**
 * Prepaid credit at the edge: every good reading is charged once against its account, the
 * customer-protection rules decide on warnings, emergency credit and the relay, and top-ups and
 * tokens add credit exactly once. It works with the uplink down: events go to the outbox, credit
 * state to the ledger (same SQLite file), relays over the meter buses.
 *
 * Rules that keep customers safe:
 * - A failed read never reaches here (the poller turns it into a failure, not a reading), so it
 *   never charges and never trips. A reading without an integer energyImport changes nothing.
 * - A counter that went backwards, or that acquisition confirmed as reset, re-baselines with no charge.
 * - Each account's work runs one job at a time (KeyedQueue): a top-up and a charge never race.
 * - A relay command is sent only when the rules say so, and verified by readback (relay drivers).
 * - On start nothing is switched unless the persisted state plus the rules demand it now.
 *
 * Charging cadence: the charge since the last posting is computed on every reading (pure, a few
 * µs), but only booked when `chargeEveryMs` has passed or when booking it would change anything
 * the customer sees (a warning, emergency credit, a disconnect notice, a trip). So a trip still
 * happens on the reading that exhausts the credit, while the ledger gets one row a minute.
 */
import type { NewEvent, NewReading } from '../../core/model.js';
import type { Logger } from '../log.js';
import type { Account, AccountState, ChargeCursor, CommandOutcome, NewEntry, Policy, PolicyAction, PolicyDecision, SupplyState, TariffVersion, RelayDriver } from '../../core/credit/contracts.js';
import { baselineCursor, chargeConsumption, localParts, standingCharges } from '../../core/tariff/index.js';
import { allocateTopUp, daysOfCreditLeft, evaluate, inFriendlyPeriod, initialAccountState } from '../../core/policy/index.js';
import { applyTimeEffect, hasTimeCredit, type TimeCredit } from '../tokens/index.js';
import type { OpenPaygoEffect } from '../tokens/openpaygo-acceptor.js';
import type { Ledger, Posting, PostResult } from '../store/ledger/index.js';
import type { AccountConfig, CreditConfig } from '../../core/config/gateway-config.js';
import { CoalescedPostings } from './coalesced-postings.js';
import { CreditSettings, type RelayOverride } from './credit-settings.js';
import { KeyedQueue } from './keyed-queue.js';
import { bypassSuspected, observe } from '../../core/credit/meter-observation.js';
import { UsageWindow } from '../../core/credit/usage-window.js';
import { addReading, pendingEntries, pendingTotal, startPending, type PendingCharges } from '../../core/credit/pending-charges.js';

export type { RelayOverride } from './credit-settings.js';

/** What a meter that keeps credit itself is told after each ledger change (defence in depth). */
export interface MeterCreditView {
  balance: number;
  /** What the customer may still use before the gateway trips (see spendable()); null = no limit. */
  spendable: number | null;
  policy: Policy;
  tariff: TariffVersion[];
  /** Energy register at the last charge (Wh). */
  energyWh: number;
  /** Energy the customer may use during a disconnect notice (Wh, from the highest power seen). */
  noticeWh: number;
  supply: SupplyState;
}

export interface CreditEngineDeps {
  config: CreditConfig;
  /** IANA zone for tariffs and friendly periods. */
  zone: string;
  ledger: Ledger;
  now: () => number;
  log: Logger;
  event: (e: NewEvent) => void;
  publishCredit: (meter: string, payload: CreditPayload) => void;
  relayFor: (meter: string) => RelayDriver | undefined;
  /** Write balance, warning levels and the backup disconnect threshold to a meter that keeps them. */
  syncMeter?: (meter: string, view: MeterCreditView) => Promise<void>;
  setTimer?: (fn: () => void, ms: number) => NodeJS.Timeout;
  clearTimer?: (t: NodeJS.Timeout) => void;
}

export interface CreditPayload {
  meter: string;
  ts: number;
  balance: number;
  creditUnit: 'currency' | 'energy';
  currency?: string;
  state: SupplyState;
  emergency: AccountState['emergency'];
  daysLeft: number | null;
  override: RelayOverride | null;
  timeCredit?: TimeCredit;
}

/** The longest a timer is armed for; a longer wake is re-armed (timers overflow at 2^31 ms). */
const MAX_TIMER_MS = 6 * 3_600_000;
/** Power assumed for the disconnect-notice allowance until a reading shows the real peak (W). */
const DEFAULT_PEAK_W = 10_000;
/** Time-credit accounts show the policy this many sub-units per minute of credit left. */
const UNLOCKED_MINUTES = 1e12;

export class CreditEngine {
  private readonly queue = new KeyedQueue();
  private readonly accounts = new Map<string, AccountConfig>();
  private readonly usage = new Map<string, UsageWindow>();
  private readonly resetPending = new Set<string>();
  private readonly wakeTimers = new Map<string, NodeJS.Timeout>();
  private readonly relayReadback = new Map<string, SupplyState>();
  private readonly tamperLatched = new Map<string, Set<string>>();
  private readonly peakPowerW = new Map<string, number>();
  private readonly cached = new Map<string, Account>();
  private readonly pending = new Map<string, PendingCharges>();
  private readonly postings: CoalescedPostings;
  readonly settings: CreditSettings;
  private stopped = false;

  constructor(private readonly deps: CreditEngineDeps) {
    for (const a of deps.config.accounts) this.accounts.set(a.meter, a);
    this.postings = new CoalescedPostings(deps.ledger);
    this.settings = new CreditSettings(deps.config, deps.ledger);
  }

  get log(): Logger {
    return this.deps.log;
  }

  get postingStats(): { transactions: number; postings: number } {
    return this.postings.stats;
  }

  /** Create missing accounts (with their opening balance), load command settings, re-evaluate. */
  async start(): Promise<void> {
    const { ledger, now } = this.deps;
    await this.settings.load();
    for (const a of this.accounts.values()) {
      const spec = { meter: a.meter, customer: a.customer, customerClass: a.customerClass, creditUnit: a.creditUnit, ...(a.currency ? { currency: a.currency } : {}) };
      const existing = await ledger.account(a.meter);
      if (!existing) {
        await ledger.ensureAccount(spec, initialAccountState());
        if (a.openingBalance !== 0) {
          await ledger.post({ meter: a.meter, ts: now(), entries: [{ kind: 'adjustment', amount: a.openingBalance, ts: now(), cause: { reason: 'opening balance', source: 'config' } }], audit: { action: 'opening-balance', cause: 'config', detail: { amount: a.openingBalance } } });
        }
      } else if (existing.customerClass !== a.customerClass || existing.customer !== a.customer) {
        await ledger.ensureAccount(spec, existing.state);
      }
      this.usage.set(a.meter, new UsageWindow());
    }
    for (const meter of this.accounts.keys()) await this.queue.run(meter, () => this.reevaluate(meter, 'start'));
  }

  async stop(): Promise<void> {
    // A clean stop books what was priced but not yet booked (a crash would leave it to the next
    // reading). Only the charges and the cursor: the rules run on them at the next start, when the
    // relays can be driven again, so no decision is persisted that could not be carried out.
    await Promise.all(
      [...this.pending.keys()].map((meter) =>
        this.queue
          .run(meter, async () => {
            const p = this.pending.get(meter);
            if (!p) return;
            this.cached.delete(meter);
            const ts = this.deps.now();
            await this.postings.post({ meter, ts, entries: pendingEntries(p, ts), cursor: p.cursor, audit: { action: 'charge', cause: 'shutdown' } });
            this.pending.delete(meter);
          })
          .catch((e: Error) => this.log.error({ meter, err: e.message }, 'could not book pending charges at stop')),
      ),
    );
    this.stopped = true;
    for (const t of this.wakeTimers.values()) (this.deps.clearTimer ?? clearTimeout)(t);
    this.wakeTimers.clear();
    await this.queue.idle();
  }

  has(meter: string): boolean {
    return this.accounts.has(meter);
  }

  accountConfig(meter: string): AccountConfig | undefined {
    return this.accounts.get(meter);
  }

  tariffFor(meter: string): TariffVersion[] {
    return this.settings.tariffVersions(meter, this.accounts.get(meter)!.customerClass);
  }

  policyFor(meter: string, now = this.deps.now()): Policy {
    return this.settings.policyAt(this.accounts.get(meter)!.customerClass, now);
  }

  subunitsPerUnit(meter: string): number {
    return this.tariffFor(meter).at(-1)!.tariff.subunitsPerUnit;
  }

  activeTariffFrom(target: { meter?: string; customerClass?: string }): number | undefined {
    return this.settings.activeTariffFrom(target.meter, target.customerClass, this.deps.now());
  }

  activePolicyFrom(target: { customerClass?: string }): number | undefined {
    return this.settings.activePolicyFrom(target.customerClass ?? '', this.deps.now());
  }

  /** Acquisition events: a confirmed counter reset means the next reading is a new baseline. */
  onEvent(e: NewEvent): void {
    if (e.meter && e.type === 'counter-reset' && this.accounts.has(e.meter)) this.resetPending.add(e.meter);
  }

  /** A good reading (already committed to the outbox). Resolves when it is charged and enforced. */
  onReading(r: NewReading): Promise<void> {
    if (!this.accounts.has(r.meter) || this.stopped) return Promise.resolve();
    return this.queue.run(r.meter, () => this.charge(r)).catch((e: Error & { code?: string }) => {
      this.log.error({ meter: r.meter, code: e.code, err: e.message }, 'could not charge reading');
    });
  }

  private async charge(r: NewReading): Promise<void> {
    const { zone } = this.deps;
    const meter = r.meter;
    const acct = await this.account(meter);
    if (!acct) return;
    const obs = observe(r.values);
    // While a maintenance override holds the relay, its state is the override's, not news.
    const held = this.settings.override(meter, r.ts) !== undefined;
    if (obs.relay && !held) this.noteReadback(meter, acct.state.supply, obs.relay, r.ts);
    else if (obs.relay) this.relayReadback.set(meter, obs.relay);
    this.noteTamper(meter, r.ts, obs.tamper);
    const power = r.values.power;
    if (power !== undefined && Number.isFinite(power) && power > (this.peakPowerW.get(meter) ?? 0)) this.peakPowerW.set(meter, power);
    const wh = r.values.energyImport;
    if (wh === undefined || !Number.isSafeInteger(wh) || wh < 0) return;
    const versions = this.tariffFor(meter);
    const pending = this.pending.get(meter);
    const cursor = pending?.cursor ?? acct.cursor;

    if (!cursor || this.resetPending.has(meter) || wh < cursor.lastWh) {
      const reason = !cursor ? 'first reading' : 'counter reset';
      this.resetPending.delete(meter);
      const next = baselineCursor({ ts: r.ts, wh }, zone, versions, cursor ?? undefined);
      if (cursor) this.emit(meter, r.ts, 'counter-rebaselined', { fromWh: cursor.lastWh, toWh: wh, charged: 0 });
      // What was pending up to the old counter is booked with the new baseline.
      await this.decide(meter, r.ts, acct, { cursor: next, force: true, audit: { action: 'baseline', cause: reason, detail: { wh, previousWh: cursor?.lastWh ?? null } } });
      return;
    }
    if (r.ts <= cursor.lastTs) return;

    const deltaWh = wh - cursor.lastWh;
    if (bypassSuspected(acct.state.supply, obs.relay ?? this.relayReadback.get(meter), deltaWh)) this.noteTamper(meter, r.ts, ['bypass'], { deltaWh, reason: 'consumption with the relay open' });

    const policy = this.policyFor(meter, r.ts);
    const charged = chargeConsumption(versions, zone, cursor, { ts: r.ts, wh });
    const standing = standingCharges(versions, zone, charged.cursor, r.ts);
    const p = pending ?? startPending(acct.cursor!);
    // Usage inside a friendly period with no credit left becomes debt (collected by the next top-up).
    const kind = acct.balance - pendingTotal(p) <= 0 && inFriendlyPeriod(policy, zone, r.ts) ? 'friendly-debt' : 'consumption';
    addReading(p, charged, kind, standing);
    this.pending.set(meter, p);
    if (charged.amount > 0) this.usage.get(meter)!.add(localParts(cursor.lastTs, zone).date, charged.amount);
    // The meter opened its relay by itself while the gateway had it connected: its backup
    // threshold (set at the dearest price) was reached first, or it tripped locally.
    const meterOpened = !held && obs.relay === 'disconnected' && acct.state.supply === 'connected';
    const due = r.ts - p.from.ts >= this.deps.config.chargeEveryMs || standing.days.length > 0;
    await this.decide(meter, r.ts, acct, { force: due || meterOpened, audit: { action: 'charge', cause: 'reading', detail: { wh, fromWh: p.from.wh, amount: pendingTotal(p) } } });
    if (meterOpened) await this.recloseIfCredit(meter, r.ts);
  }

  /**
   * After the meter opened on its own: if the rules still say connected and there is credit, the
   * threshold has just been raised (the posting's sync), so close the relay again; otherwise the
   * rules' own trip follows. Never while a maintenance override holds the relay.
   */
  private async recloseIfCredit(meter: string, ts: number): Promise<void> {
    const acct = await this.mustAccount(meter);
    if (acct.state.supply !== 'connected' || this.settings.override(meter, ts)) return;
    if (this.policyBalance(meter, acct.balance, ts) <= 0) return;
    await this.setRelay(meter, 'connected', 'the meter opened its relay while credit remains');
  }

  /**
   * Run the rules on the balance after what is pending and `opts.entries`; if anything changes (or
   * `force`), book it all in one posting — pending charges, entries, the rules' entries, the new
   * state and cursor, the audit row, a command id — then carry out what the rules decided.
   * Returns the posting's result, or undefined when nothing needed booking.
   */
  private async decide(
    meter: string,
    ts: number,
    acct: Account,
    opts: { entries?: NewEntry[]; cursor?: ChargeCursor; force?: boolean; buttonPressed?: boolean; emergencyRequested?: boolean; state?: AccountState; command?: Posting['command']; tokenMemory?: Posting['tokenMemory']; audit: Posting['audit'] },
  ): Promise<PostResult | undefined> {
    const { zone } = this.deps;
    const now = Math.max(ts, this.deps.now());
    const policy = this.policyFor(meter, now);
    const pending = this.pending.get(meter);
    const entries = [...(pending ? pendingEntries(pending, ts) : []), ...(opts.entries ?? [])];
    const cursor = opts.cursor ?? pending?.cursor;
    const balance = acct.balance + entries.reduce((s, e) => s + e.amount, 0);
    const relay = this.relayReadback.get(meter);
    const decision: PolicyDecision & { entries: NewEntry[] } = evaluate({
      policy,
      zone,
      state: opts.state ?? acct.state,
      balance: this.policyBalance(meter, balance, now),
      now,
      ...(relay ? { relay } : {}),
      ...(opts.buttonPressed ? { buttonPressed: true } : {}),
      ...(opts.emergencyRequested ? { emergencyRequested: true } : {}),
    });
    const changed = decision.entries.length > 0 || decision.events.length > 0 || decision.actions.length > 0 || JSON.stringify(decision.state) !== JSON.stringify(acct.state);
    if (!opts.force && !changed && !opts.command) return undefined;
    // The cached account is stale from here on, whatever the outcome.
    this.cached.delete(meter);
    const result = await this.postings.post({
      meter,
      ts,
      entries: [...entries, ...decision.entries],
      state: decision.state,
      ...(cursor ? { cursor } : {}),
      audit: opts.audit,
      ...(opts.command ? { command: opts.command } : {}),
      ...(opts.tokenMemory ? { tokenMemory: opts.tokenMemory } : {}),
    });
    if (result.outcome?.status === 'duplicate') return result;
    if (this.pending.get(meter) === pending) this.pending.delete(meter);
    for (const e of decision.events) this.emit(meter, now, e.type, e.data);
    // A meter refuses to close at its backup threshold: raise the threshold before reconnecting.
    const reconnecting = decision.actions.some((a) => a.type !== 'trip');
    const energyWh = cursor?.lastWh ?? acct.cursor?.lastWh;
    if (reconnecting) await this.afterChange(meter, result.balance, decision.state, energyWh);
    for (const a of decision.actions) await this.act(meter, a, now);
    this.arm(meter, this.wakeAt(meter, decision.wakeAt, now));
    if (!reconnecting) await this.afterChange(meter, result.balance, decision.state, energyWh);
    return result;
  }

  /** The balance the rules see: the ledger balance, or minutes of time credit on OpenPAYGO accounts. */
  private policyBalance(meter: string, balance: number, now: number): number {
    if (!this.accounts.get(meter)?.openpaygo) return balance;
    const tc = this.settings.timeCredit.get(meter);
    if (!tc || !hasTimeCredit(tc, now)) return 0;
    return tc.unlocked ? UNLOCKED_MINUTES : Math.ceil((tc.paidUntil! - now) / 60_000);
  }

  private wakeAt(meter: string, policyWake: number | null, now: number): number | null {
    const candidates = [policyWake];
    const ov = this.settings.overrides.get(meter);
    if (ov && ov.until > now) candidates.push(ov.until);
    const tc = this.settings.timeCredit.get(meter);
    if (tc && !tc.unlocked && tc.paidUntil !== null && tc.paidUntil > now) candidates.push(tc.paidUntil);
    const xs = candidates.filter((x): x is number => x !== null);
    return xs.length ? Math.min(...xs) : null;
  }

  /** Carry out a relay action unless a maintenance override holds the relay. */
  private async act(meter: string, a: PolicyAction, now: number): Promise<void> {
    const ov = this.settings.override(meter, now);
    if (ov) {
      this.emit(meter, now, 'relay-action-held', { action: a.type, cause: a.cause, override: { ...ov } });
      return;
    }
    const target: SupplyState = a.type === 'trip' ? 'disconnected' : a.type === 'close' ? 'connected' : 'ready-for-reconnection';
    await this.setRelay(meter, target, a.cause);
  }

  /** Drive the relay (verified by readback) and audit the result, whatever it is. */
  async setRelay(meter: string, target: SupplyState, cause: string): Promise<SupplyState | undefined> {
    const { ledger } = this.deps;
    const driver = this.deps.relayFor(meter);
    const ts = this.deps.now();
    if (!driver) {
      await ledger.audit({ ts, meter, action: `relay-${target}`, cause, detail: { result: 'no relay driver for this meter' } });
      this.emit(meter, ts, 'relay-unavailable', { target, cause });
      return undefined;
    }
    try {
      const status = await driver.set(target, cause);
      this.relayReadback.set(meter, status.state);
      await ledger.audit({ ts: this.deps.now(), meter, action: `relay-${target}`, cause, detail: { result: 'verified', readback: status.state, raw: status.raw ?? null } });
      const type = target === 'disconnected' ? 'tripped' : target === 'connected' ? 'relay-closed' : 'relay-armed';
      this.emit(meter, this.deps.now(), type, { cause, readback: status.state });
      return status.state;
    } catch (e) {
      const err = e as Error & { code?: string; context?: Record<string, unknown> };
      await ledger.audit({ ts: this.deps.now(), meter, action: `relay-${target}`, cause, detail: { result: 'failed', code: err.code ?? null, error: err.message } });
      this.emit(meter, this.deps.now(), err.code === 'E_RELAY_MISMATCH' ? 'relay-mismatch' : 'alarm', { target, cause, code: err.code ?? null, error: err.message, ...(err.context ?? {}) });
      this.log.error({ meter, code: err.code, err: err.message, target }, 'relay command failed');
      return undefined;
    }
  }

  private async afterChange(meter: string, balance: number, state: AccountState, energyWh: number | undefined): Promise<void> {
    const acct = this.accounts.get(meter)!;
    const now = this.deps.now();
    const today = localParts(now, this.deps.zone).date;
    const daysLeft = daysOfCreditLeft(balance, this.usage.get(meter)?.lastDays(today) ?? []);
    const tc = this.settings.timeCredit.get(meter);
    this.deps.publishCredit(meter, {
      meter,
      ts: now,
      balance,
      creditUnit: acct.creditUnit,
      ...(acct.currency ? { currency: acct.currency } : {}),
      state: state.supply,
      emergency: state.emergency,
      daysLeft,
      override: this.settings.override(meter, now) ?? null,
      ...(tc ? { timeCredit: tc } : {}),
    });
    if (this.deps.syncMeter && energyWh !== undefined && !acct.openpaygo) {
      const policy = this.policyFor(meter, now);
      try {
        const noticeWh = Math.ceil(((this.peakPowerW.get(meter) ?? DEFAULT_PEAK_W) * policy.disconnectNoticeMs) / 3_600_000);
        await this.deps.syncMeter(meter, { balance, spendable: spendable(balance, state, policy), policy, tariff: this.tariffFor(meter), energyWh, noticeWh, supply: state.supply });
      } catch (e) {
        const err = e as Error & { code?: string };
        this.log.warn({ meter, code: err.code, err: err.message }, 'could not write credit to the meter (retried after the next charge)');
      }
    }
  }

  /** Re-run the rules with no new input (start-up, a friendly period or notice ending, an override ending). */
  private async reevaluate(meter: string, cause: string): Promise<void> {
    const acct = await this.account(meter);
    if (!acct) return;
    await this.decide(meter, this.deps.now(), acct, { audit: { action: 'policy', cause } });
    const ov = this.settings.overrides.get(meter);
    if (cause === 'timer' && ov && ov.until <= this.deps.now()) {
      await this.settings.setOverride(meter, null, { ts: this.deps.now(), cause: 'override expired' });
      await this.restoreAfterOverride(meter);
    }
  }

  /**
   * An override ended (expired or released): the rules' relay actions were held meanwhile while
   * their state moved on, so put the relay where that state says (a trip held by a 'connected'
   * override, a close held by a 'disconnected' one). An armed account whose relay is closed stays so.
   */
  private async restoreAfterOverride(meter: string): Promise<void> {
    const acct = await this.account(meter);
    if (!acct) return;
    const want = acct.state.supply;
    const got = this.relayReadback.get(meter);
    if (got === undefined || got === want || (want === 'ready-for-reconnection' && got === 'connected')) return;
    await this.setRelay(meter, want, 'override ended');
  }

  private arm(meter: string, wakeAt: number | null): void {
    const set = this.deps.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    const clear = this.deps.clearTimer ?? clearTimeout;
    const old = this.wakeTimers.get(meter);
    if (old) clear(old);
    this.wakeTimers.delete(meter);
    if (wakeAt === null || this.stopped) return;
    const ms = Math.max(0, Math.min(MAX_TIMER_MS, wakeAt - this.deps.now()));
    const t = set(() => {
      this.wakeTimers.delete(meter);
      void this.queue.run(meter, () => this.reevaluate(meter, 'timer')).catch((e: Error) => this.log.error({ meter, err: e.message }, 'timed re-evaluation failed'));
    }, ms);
    t.unref?.();
    this.wakeTimers.set(meter, t);
  }

  /** The meter says its relay closed while we had it armed: the customer pressed the button. */
  private noteReadback(meter: string, supply: SupplyState, relay: SupplyState, ts: number): void {
    const before = this.relayReadback.get(meter);
    this.relayReadback.set(meter, relay);
    if (supply === 'ready-for-reconnection' && relay === 'connected' && before !== 'connected') this.emit(meter, ts, 'button-reconnect', { readback: relay });
    else if (before !== undefined && before !== relay && supply === relay) return;
    else if (supply === 'connected' && relay === 'disconnected' && before !== 'disconnected') this.emit(meter, ts, 'relay-opened-by-meter', { readback: relay, note: 'the meter opened its relay itself (backup threshold, local trip or fault)' });
  }

  private noteTamper(meter: string, ts: number, kinds: string[], data: Record<string, unknown> = {}): void {
    if (!kinds.length) return;
    const latched = this.tamperLatched.get(meter) ?? new Set<string>();
    this.tamperLatched.set(meter, latched);
    for (const k of kinds) {
      if (latched.has(k)) continue;
      latched.add(k);
      this.emit(meter, ts, 'tamper', { kind: k, ...data });
      void this.deps.ledger.audit({ ts, meter, action: 'tamper', cause: k, detail: data }).catch(() => undefined);
    }
  }

  clearTamper(meter: string): void {
    this.tamperLatched.delete(meter);
  }

  private emit(meter: string, ts: number, type: string, data: Record<string, unknown>): void {
    this.deps.event({ ts, type, meter, data });
  }

  /**
   * The account as last committed. This engine is the accounts' only writer, so it keeps them in
   * memory between postings instead of reading SQLite for every reading.
   */
  private async account(meter: string): Promise<Account | undefined> {
    const hit = this.cached.get(meter);
    if (hit) return hit;
    const a = await this.deps.ledger.account(meter);
    if (a) this.cached.set(meter, a);
    return a;
  }

  private async mustAccount(meter: string): Promise<Account> {
    const a = await this.account(meter);
    if (!a) throw new Error(`no account for ${meter}`);
    return a;
  }

  // ───────────── credit from outside: top-ups, tokens, emergency credit, overrides ─────────────

  /** Book a top-up exactly once (by id), repaying emergency credit first, then enforce. */
  topUp(meter: string, amount: number, cause: { id: string; type: string; source: string; detail?: Record<string, unknown> }, tokenMemory?: Posting['tokenMemory']): Promise<CommandOutcome> {
    return this.queue.run(meter, async () => {
      const acct = await this.mustAccount(meter);
      const ts = this.deps.now();
      const alloc = allocateTopUp(acct.state, acct.balance - pendingTotal(this.pending.get(meter)), amount, ts, { id: cause.id, source: cause.source, ...(cause.detail ?? {}) });
      const res = await this.decide(meter, ts, acct, {
        entries: alloc.entries,
        audit: { action: 'topup', cause: cause.source, detail: { id: cause.id, amount, ...(cause.detail ?? {}) } },
        force: true,
        state: alloc.state,
        command: { id: cause.id, type: cause.type, outcome: (balance) => ({ status: 'applied', id: cause.id, type: cause.type as 'topup', meter, balance, detail: { amount, ...(cause.detail ?? {}) } }) },
        ...(tokenMemory ? { tokenMemory } : {}),
      });
      return res?.outcome ?? { status: 'applied', id: cause.id, type: 'topup', meter, detail: { amount } };
    });
  }

  /**
   * A token typed on the meter's keypad, seen as `wh` added to the meter's backup threshold. An
   * energy-credit account books it as a top-up (once: `id` is derived from the meter's event
   * counter). A currency account cannot price a kWh token, so it is raised as an event for the
   * back office and the meter keeps enforcing it through its threshold.
   */
  keypadToken(meter: string, wh: number, id: string): Promise<CommandOutcome> {
    const acct = this.accounts.get(meter);
    if (acct?.creditUnit === 'energy') return this.topUp(meter, wh, { id, type: 'token', source: 'keypad', detail: { scheme: 'sts', wh } });
    this.emit(meter, this.deps.now(), 'keypad-token-unbooked', { wh, id, reason: 'a kWh token on a currency account: book it at the back office' });
    void this.deps.ledger.audit({ ts: this.deps.now(), meter, action: 'keypad-token', cause: 'unbooked', detail: { wh, id } }).catch(() => undefined);
    return Promise.resolve({ status: 'rejected', id, reason: 'E_TOKEN_UNSUPPORTED', message: `token: ${wh} Wh typed on the keypad of a currency account` });
  }

  /** A token that is not money: clear-credit, clear-tamper, test, or OpenPAYGO time credit. */
  recordToken(meter: string, id: string, outcome: CommandOutcome, tokenMemory: NonNullable<Posting['tokenMemory']>, effect: string, timeEffect?: OpenPaygoEffect): Promise<CommandOutcome> {
    return this.queue.run(meter, async () => {
      const acct = await this.mustAccount(meter);
      const ts = this.deps.now();
      const balance = acct.balance - pendingTotal(this.pending.get(meter));
      const entries: NewEntry[] = effect === 'clear-credit' && balance !== 0 ? [{ kind: 'adjustment', amount: -balance, ts, cause: { reason: 'STS clear-credit token', id } }] : [];
      if (timeEffect) {
        const before = this.settings.timeCredit.get(meter) ?? { paidUntil: null, unlocked: false };
        await this.settings.setTimeCredit(meter, applyTimeEffect(before, timeEffect, ts), { ts, cause: `token ${id}`, detail: { effect: timeEffect.kind } });
      }
      const res = await this.decide(meter, ts, acct, {
        entries,
        force: true,
        command: { id, type: 'token', outcome: () => outcome },
        tokenMemory,
        audit: { action: 'token', cause: effect, detail: { id } },
      });
      return res?.outcome ?? outcome;
    });
  }

  /** The customer asked for emergency credit (button, keypad or command). */
  requestEmergencyCredit(meter: string, cause: string): Promise<void> {
    return this.queue.run(meter, async () => {
      const acct = await this.mustAccount(meter);
      await this.decide(meter, this.deps.now(), acct, { emergencyRequested: true, audit: { action: 'emergency-credit-request', cause } });
    });
  }

  /** The customer pressed the meter's button (reconnect when armed, else emergency credit). */
  buttonPressed(meter: string): Promise<void> {
    return this.queue.run(meter, async () => {
      const acct = await this.mustAccount(meter);
      await this.decide(meter, this.deps.now(), acct, { buttonPressed: true, audit: { action: 'button', cause: 'customer' } });
    });
  }

  /** Hold the relay in a state for maintenance, or release it (null) back to the credit rules. */
  override(meter: string, ov: RelayOverride | null, cause: string): Promise<SupplyState | undefined> {
    return this.queue.run(meter, async () => {
      const ts = this.deps.now();
      await this.settings.setOverride(meter, ov, { ts, cause });
      if (!ov) {
        await this.reevaluate(meter, 'override released');
        await this.restoreAfterOverride(meter);
        return this.relayReadback.get(meter);
      }
      this.arm(meter, ov.until);
      return this.setRelay(meter, ov.state, `override: ${cause}`);
    });
  }

  addTariffVersion(target: { meter?: string; customerClass?: string }, v: TariffVersion, commandId: string): Promise<void> {
    return this.settings.addTariff(target, v, { ts: this.deps.now(), cause: `command ${commandId}` });
  }

  addPolicyVersion(customerClass: string, activeFrom: number, policy: Policy, commandId: string): Promise<void> {
    return this.settings.addPolicy(customerClass, { activeFrom, policy }, { ts: this.deps.now(), cause: `command ${commandId}` });
  }

  /** Wait until every queued charge and command has been handled (tests, shutdown). */
  idle(): Promise<void> {
    return this.queue.idle();
  }
}

/**
 * What the customer may still use before the gateway itself would disconnect: the balance, plus
 * emergency credit not yet taken, plus the debt a friendly period allows. The meter's backup
 * threshold is set from this, so a meter that loses its gateway never cuts a customer off earlier
 * than the gateway would have. null = no limit the meter could enforce (friendly periods with no
 * maximum debt): the backup threshold is then disabled rather than set too low.
 */
export function spendable(balance: number, state: AccountState, policy: Policy): number | null {
  const emergency = policy.emergencyCredit && !state.emergency.inUse ? policy.emergencyCredit.amount : 0;
  const friendly = policy.friendly.windows.length > 0;
  if (friendly && policy.maxDebt === 0) return null;
  return Math.max(0, balance + emergency + (friendly ? policy.maxDebt : 0));
}
