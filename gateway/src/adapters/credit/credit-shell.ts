/**
 * The imperative shell of the credit rules: `post(decision)` carries one CreditDecision out, each
 * part once and in the order core/credit/decision.ts gives: observations, settings, the posting
 * (one ledger transaction: entries, state, cursor, audit row, command id, token memory), events,
 * meter sync and publish, relay actions (verified by readback, audited), the timer.
 */
import type { Clock } from '@prepaid-edge/protocols';
import type { NewEvent } from '../../core/model.js';
import type { CommandOutcome, SupplyState } from '../../core/credit/contracts.js';
import type { CreditDecision, CreditPayload, MeterCreditView } from '../../core/credit/decision.js';
import type { Ledger, PostResult } from '../store/ledger/index.js';
import type { Logger } from '../log.js';
import type { AccountMemory } from './account-memory.js';
import type { CoalescedPostings } from './coalesced-postings.js';
import type { CreditSettings } from './credit-settings.js';
import type { Enforcement } from './enforcement.js';

export interface CreditShellDeps {
  clock: Clock;
  ledger: Pick<Ledger, 'audit'>;
  log: Logger;
  event: (e: NewEvent) => void;
  publishCredit: (meter: string, payload: CreditPayload) => void;
  /** Write balance, warning levels and the backup disconnect threshold to a meter that keeps them. */
  syncMeter?: (meter: string, view: MeterCreditView) => Promise<void>;
  memory: AccountMemory;
  settings: CreditSettings;
  postings: CoalescedPostings;
  enforcement: Enforcement;
}

/** What carrying out a decision answers (see CreditDecision.answer). */
export interface Carried {
  result?: PostResult;
  outcome?: CommandOutcome;
  readback?: SupplyState;
}

export class CreditShell {
  constructor(private readonly deps: CreditShellDeps) {}

  async post(d: CreditDecision): Promise<Carried> {
    const { memory, enforcement } = this.deps;
    const meter = d.meter;
    for (const e of d.observed) this.deps.event(e);
    for (const a of d.audits) void this.deps.ledger.audit(a).catch(() => undefined);
    // With a posting coming, the cached account is stale from here on, whatever the outcome; once
    // the posting commits it is the account before it plus what the posting wrote.
    const base = d.posting ? memory.cachedAccount(meter) : undefined;
    const tamperBefore = memory.tamperOf(meter);
    memory.keep(meter, d.memory, d.usage, d.posting !== undefined);
    // A new latch is kept across restarts (rare: only when a tamper kind is added).
    if (d.memory.tamper.some((k) => !tamperBefore.includes(k))) await this.deps.settings.setTamper(meter, d.memory.tamper, { ts: this.deps.clock.now(), cause: 'latched' });
    // Most readings are priced and kept, nothing more: no awaits for them.
    if (!d.posting && !d.settings && d.answer.kind === 'none' && !d.events.length && !d.relay.length && !d.then.length && d.wakeAt === undefined) return {};
    if (d.settings?.when === 'before') await this.save(meter, d.settings);
    let result: PostResult | undefined;
    if (d.posting) {
      result = await this.deps.postings.post(d.posting);
      if (result.outcome?.status === 'duplicate') return { result, outcome: result.outcome };
      const p = d.posting;
      memory.committed(meter, base && { ...base, balance: result.balance, state: p.state ?? base.state, cursor: p.cursor === undefined ? base.cursor : p.cursor });
    }
    for (const e of d.events) this.deps.event(e);
    if (d.syncFirst && d.publish) await this.afterChange(d);
    let last: SupplyState | undefined;
    for (const i of d.relay) last = await enforcement.carry(meter, i);
    if (d.wakeAt !== undefined) enforcement.arm(meter, d.wakeAt);
    if (!d.syncFirst && d.publish) await this.afterChange(d);
    if (d.settings?.when === 'after') await this.save(meter, d.settings);
    for (const i of d.then) last = await enforcement.carry(meter, i);
    const a = d.answer;
    if (a.kind === 'outcome') return { ...(result ? { result } : {}), outcome: result?.outcome ?? a.fallback };
    const readback = a.kind === 'readback' ? memory.readback(meter) : a.kind === 'last-relay' ? last : undefined;
    return { ...(result ? { result } : {}), ...(readback ? { readback } : {}) };
  }

  private async save(meter: string, s: NonNullable<CreditDecision['settings']>): Promise<void> {
    const ts = this.deps.clock.now();
    if (s.timeCredit) await this.deps.settings.setTimeCredit(meter, s.timeCredit.value, { ts, cause: s.timeCredit.cause, detail: s.timeCredit.detail });
    if (s.override) await this.deps.settings.setOverride(meter, s.override.value, { ts, cause: s.override.cause });
  }

  /** Publish the credit and sync a meter that keeps it; a failed sync is retried after the next charge. */
  private async afterChange(d: CreditDecision): Promise<void> {
    if (d.publish) this.deps.publishCredit(d.meter, d.publish);
    if (!this.deps.syncMeter || !d.meterView) return;
    try {
      await this.deps.syncMeter(d.meter, d.meterView);
    } catch (e) {
      const err = e as Error & { code?: string };
      this.deps.log.warn({ meter: d.meter, code: err.code, err: err.message }, 'could not write credit to the meter (retried after the next charge)');
    }
  }
}
