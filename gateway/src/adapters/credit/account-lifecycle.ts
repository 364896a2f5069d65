/**
 * Accounts opened, closed and re-metered by signed commands, and money corrected by them
 * (docs/mqtt.md "Corrections", "Account lifecycle"). The ledger keeps all of it: the posting of
 * each command writes its audit row (`account-opened`, `account-closed`, `meter-swap`,
 * `correction`) in the same transaction as its entries and command id, so what survives a crash
 * or restart is exactly what was applied. At start the latest opened / closed row of each meter
 * decides whether it has an account, whatever the YAML `credit.accounts` says: a YAML account with
 * no such row is open as before; a closed one stays closed; one opened by command is open with the
 * holder and class of its command (its STS / OpenPAYGO keys, if any, still come from the YAML).
 */
import { PrepaidError, type Clock } from '@prepaid-edge/protocols';
import type { AccountSpec, CommandOutcome, Policy } from '../../core/credit/contracts.js';
import { correctionProblem } from '../../core/commands/correction-limits.js';
import type { AccountCommandRef, MeterMemory } from '../../core/credit/decision.js';
import type { AccountConfig, CreditConfig } from '../../core/config/gateway-config.js';
import { initialAccountState } from '../../core/policy/index.js';
import type { NewReading } from '../../core/model.js';
import type { AuditEntry, AuditQuery, Ledger } from '../store/ledger/index.js';
import type { AccountMemory } from './account-memory.js';
import type { CreditDesk } from './credit-desk.js';

/** Entry kinds a reverse may undo; emergency credit and friendly debt follow the policy's state and are not reversed by hand. */
export const REVERSIBLE_KINDS = ['topup', 'adjustment', 'consumption', 'standing-charge'];
/** "Per day" of the corrections limit: the 24 hours before the command. */
const DAY_MS = 24 * 3_600_000;

export interface AccountLifecycleDeps {
  config: CreditConfig;
  ledger: Ledger;
  clock: Clock;
  accounts: Map<string, AccountConfig>;
  desk: CreditDesk;
  memory: AccountMemory;
  readMeter?: (meter: string) => Promise<NewReading | undefined>;
  /** The policy in force now for a customer class (configured or from a command). */
  policyOf: (customerClass: string) => Policy;
}

/** A command refused inside the account's turn (its outcome is published and remembered). */
export class Refusal extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export class AccountLifecycle {
  constructor(private readonly deps: AccountLifecycleDeps) {}

  /** Apply the latest account-opened / account-closed row of each meter to the accounts in force. */
  async load(): Promise<void> {
    const rows = [...(await this.audit({ action: 'account-opened' })), ...(await this.audit({ action: 'account-closed' }))].sort((a, b) => a.id - b.id);
    const latest = new Map<string, AuditEntry>();
    for (const r of rows) if (r.meter) latest.set(r.meter, r);
    for (const [meter, r] of latest) {
      if (r.action === 'account-closed') {
        this.deps.accounts.delete(meter);
        continue;
      }
      const a = await this.deps.ledger.account(meter);
      if (!a) continue;
      if (!this.deps.config.classes[a.customerClass]) {
        throw new PrepaidError('E_CONFIG_INVALID', `credit.classes: the account on ${meter} (opened by command ${String(r.detail.id)}) is in class ${JSON.stringify(a.customerClass)}, which the configuration no longer has`, { path: 'credit.classes', meter });
      }
      this.deps.accounts.set(meter, this.configOf(a));
    }
  }

  /** The account config of a holder: the ledger's spec, with the meter's keys from the YAML if it lists the meter. */
  private configOf(spec: AccountSpec): AccountConfig {
    const yaml = this.deps.config.accounts.find((x) => x.meter === spec.meter);
    return { meter: spec.meter, customer: spec.customer, customerClass: spec.customerClass, creditUnit: spec.creditUnit, ...(spec.currency ? { currency: spec.currency } : {}), openingBalance: 0, ...(yaml?.sts ? { sts: yaml.sts } : {}), ...(yaml?.openpaygo ? { openpaygo: yaml.openpaygo } : {}) };
  }

  /** The credit unit of a class (from its tariff), or a reason it cannot hold an account. */
  unitOf(customerClass: string): { creditUnit: 'currency' | 'energy'; currency?: string } | string {
    const cls = this.deps.config.classes[customerClass];
    if (!cls) return `customerClass: no class ${JSON.stringify(customerClass)} in this gateway's configuration`;
    const t = this.deps.config.tariffs[cls.tariff]?.at(-1)?.tariff;
    if (!t) return `customerClass: class ${customerClass} has no tariff`;
    return { creditUnit: t.creditUnit, ...(t.currency ? { currency: t.currency } : {}) };
  }

  async open(spec: AccountSpec, c: AccountCommandRef, openingBalance: number, cosigned: boolean): Promise<CommandOutcome> {
    const { ledger, accounts, memory, desk } = this.deps;
    const before = await ledger.account(spec.meter);
    if (before && (before.creditUnit !== spec.creditUnit || (before.currency ?? null) !== (spec.currency ?? null))) {
      throw new Refusal('E_COMMAND_ACCOUNT_STATE', `customerClass: the ledger of ${spec.meter} counts in ${before.currency ?? before.creditUnit}; class ${spec.customerClass} counts in ${spec.currency ?? spec.creditUnit}`);
    }
    // The opening balance's limits before anything is written (the decision checks them again in the account's turn).
    const limits = openingBalance > 0 ? correctionProblem({ amount: openingBalance, delta: openingBalance, balance: 0, cosigned, policy: this.deps.policyOf(spec.customerClass) }) : null;
    if (limits) throw new Refusal(limits.reason, limits.message);
    await ledger.ensureAccount(spec, initialAccountState());
    memory.forget(spec.meter);
    desk.forget(spec.meter);
    accounts.set(spec.meter, this.configOf(spec));
    memory.track(spec.meter);
    try {
      const carried = await desk.run(spec.meter, { kind: 'open', command: c, openingBalance, cosigned });
      if (carried.outcome?.status !== 'rejected') return carried.outcome!;
      throw new Refusal(carried.outcome.reason, carried.outcome.message);
    } catch (e) {
      // Refused (limits, co-sign): the meter has no account, as before the command.
      accounts.delete(spec.meter);
      memory.forget(spec.meter);
      desk.forget(spec.meter);
      throw e;
    }
  }

  async close(meter: string, c: AccountCommandRef, finalReading: number | undefined): Promise<CommandOutcome> {
    const { desk, ledger, clock } = this.deps;
    // The final reading: from the meter itself if it answers, else the one the person at the meter gave.
    const read = await this.deps.readMeter?.(meter).catch(() => undefined);
    let source = 'last charged reading (the meter did not answer and the command gave none)';
    const wh = read?.values.energyImport;
    if (read && typeof wh === 'number') {
      await desk.run(meter, { kind: 'reading', ts: read.ts, values: read.values });
      source = 'meter';
    } else if (finalReading !== undefined) {
      await desk.run(meter, { kind: 'reading', ts: clock.now(), values: { energyImport: finalReading } });
      source = 'command';
    }
    const since = await this.periodStart(meter);
    const carried = await desk.runWith(meter, async (m: MeterMemory) => {
      const cursor = m.pending?.cursor ?? m.account.cursor;
      const totals = await ledger.kindTotals(meter, since.afterId);
      // Pending charges join the totals in the decision; the opening balance is the balance before the period's first entry.
      const booked = Object.values(totals).reduce((a, b) => a + b, 0);
      return { kind: 'close', command: c, finalReading: { wh: cursor?.lastWh ?? null, ts: cursor?.lastTs ?? null, source }, statement: { sinceEntry: since.afterId + 1, openingBalance: m.account.balance - booked, totals: withPending(totals, m) } };
    });
    const outcome = carried.outcome!;
    if (outcome.status === 'rejected') throw new Refusal(outcome.reason, outcome.message);
    if (outcome.status === 'applied') {
      this.deps.accounts.delete(meter);
      this.deps.memory.forget(meter);
      desk.forget(meter);
    }
    return outcome;
  }

  async swap(meter: string, c: AccountCommandRef, oldFinalReading: number, newStartReading: number, newSerial: string): Promise<CommandOutcome> {
    const carried = await this.deps.desk.runWith(meter, async (m) => {
      const rebaselined = await this.newMeterReadFirst(meter, m, oldFinalReading, newStartReading);
      return { kind: 'swap', command: c, oldFinalReading, newStartReading, newSerial, ...(rebaselined ? { rebaselined } : {}) };
    });
    const outcome = carried.outcome!;
    if (outcome.status === 'rejected') throw new Refusal(outcome.reason, outcome.message);
    // The register drop is still to come unless the new meter was read (and re-baselined) already.
    if (outcome.status === 'applied' && !outcome.detail?.newReadBeforeSwap) this.deps.memory.noteSwap(meter, newStartReading, this.deps.clock.now());
    return outcome;
  }

  /** A correction of `delta` (or, for a reverse, the opposite of entry `reverses`), checked and posted in the account's turn. */
  async correct(meter: string, c: AccountCommandRef, o: { delta: number } | { reverses: number }, cosigned: boolean): Promise<CommandOutcome> {
    const { desk, clock } = this.deps;
    const carried = await desk.runWith(meter, async () => {
      const done = await this.audit({ meter, action: 'correction' });
      const dayAgo = clock.now() - DAY_MS;
      const usedToday = done.filter((r) => r.ts > dayAgo).reduce((sum, r) => sum + Math.abs(Number(r.detail.amount) || 0), 0);
      if ('delta' in o) return { kind: 'correction', command: c, delta: o.delta, cosigned, usedToday };
      const target = (await this.deps.ledger.entries(meter, { afterId: o.reverses - 1, limit: 1 }))[0];
      if (!target || target.id !== o.reverses) throw new Refusal('E_COMMAND_REVERSAL', `entry: no ledger entry ${o.reverses} on meter ${meter}`);
      if (target.cause.reverses !== undefined) throw new Refusal('E_COMMAND_REVERSAL', `entry: ${o.reverses} is itself the reversal of entry ${String(target.cause.reverses)}: a reversal is not reversed (post an adjustment)`);
      if (!REVERSIBLE_KINDS.includes(target.kind)) throw new Refusal('E_COMMAND_REVERSAL', `entry: ${o.reverses} is ${target.kind}, which follows the policy's state and is not reversed by hand (reversible: ${REVERSIBLE_KINDS.join(', ')})`);
      if (target.amount === 0) throw new Refusal('E_COMMAND_REVERSAL', `entry: ${o.reverses} moved no money`);
      const earlier = done.find((r) => r.detail.reverses === o.reverses);
      if (earlier) throw new Refusal('E_COMMAND_REVERSAL', `entry: ${o.reverses} was already reversed by command ${String(earlier.detail.id)}`);
      return { kind: 'correction', command: { ...c, detail: { ...c.detail, reverses: target.id, reversedKind: target.kind, reversedAmount: target.amount } }, delta: -target.amount, cosigned, usedToday };
    });
    const outcome = carried.outcome!;
    if (outcome.status === 'rejected') throw new Refusal(outcome.reason, outcome.message);
    return outcome;
  }

  /**
   * Whether the new meter was read before the swap command: the account's latest re-baseline (a
   * counter reset, within the day, after any earlier swap) went from at most the old final reading
   * to at least the new start reading, and the cursor is still on that side.
   */
  private async newMeterReadFirst(meter: string, m: MeterMemory, oldFinal: number, newStart: number): Promise<{ previousWh: number; wh: number; ts: number } | undefined> {
    const cursor = m.pending?.cursor ?? m.account.cursor;
    const rows = await this.audit({ meter, action: 'baseline' });
    const last = rows.at(-1);
    const swapped = (await this.audit({ meter, action: 'meter-swap' })).at(-1);
    if (!last || !cursor || last.cause !== 'counter reset' || (swapped && swapped.id > last.id)) return undefined;
    const previousWh = Number(last.detail.previousWh);
    const wh = Number(last.detail.wh);
    if (!Number.isSafeInteger(previousWh) || !Number.isSafeInteger(wh) || this.deps.clock.now() - last.ts > DAY_MS) return undefined;
    if (previousWh > oldFinal || wh < newStart || cursor.lastWh < wh) return undefined;
    return { previousWh, wh, ts: last.ts };
  }

  /** Where the current holder's period starts: after the entries before its account-opened posting (0: the whole book). */
  private async periodStart(meter: string): Promise<{ afterId: number }> {
    const opened = (await this.audit({ meter, action: 'account-opened' })).at(-1);
    const ids = (opened?.detail.ledger as { entries?: number[] } | undefined)?.entries ?? [];
    return { afterId: ids.length ? Math.min(...ids) - 1 : 0 };
  }

  private async audit(q: Omit<AuditQuery, 'afterId' | 'limit'>): Promise<AuditEntry[]> {
    const out: AuditEntry[] = [];
    for (;;) {
      const page = await this.deps.ledger.auditLog({ ...q, afterId: out.at(-1)?.id ?? 0, limit: 1000 });
      out.push(...page);
      if (page.length < 1000) return out;
    }
  }
}

/** The period's booked totals by kind with what is priced but not yet booked (booked by the closing posting). */
function withPending(totals: Record<string, number>, m: MeterMemory): Record<string, number> {
  const p = m.pending;
  if (!p) return totals;
  const out = { ...totals };
  const standing = p.standing.reduce((s, d) => s + d.amount, 0);
  if (p.consumption) out.consumption = (out.consumption ?? 0) - p.consumption;
  if (p.friendlyDebt) out['friendly-debt'] = (out['friendly-debt'] ?? 0) - p.friendlyDebt;
  if (standing) out['standing-charge'] = (out['standing-charge'] ?? 0) - standing;
  return out;
}
