/**
 * Prepaid credit at the edge: every good reading is charged once against its account, the
 * customer-protection rules decide on warnings, emergency credit and the relay, and top-ups and
 * tokens add credit exactly once. It works with the uplink down: events go to the outbox, credit
 * state to the ledger (same SQLite file), relays over the meter buses.
 *
 * Rules that keep customers safe:
 * - A failed read never reaches here (the poller turns it into a failure, not a reading), so it
 *   never charges and never trips. A reading without an integer energyImport changes nothing.
 * - Each account's work runs one job at a time (KeyedQueue): a top-up and a charge never race.
 * - A relay command is sent only when the rules say so, and verified by readback (relay drivers).
 * - On start nothing is switched unless the persisted state plus the rules demand it now.
 *
 * This class only wires the jobs: the pure step decides (core/credit/decide.ts), CreditShell
 * carries a decision out, Charging takes readings, CreditIntake credit from outside, Enforcement
 * drives relays and timers.
 */
import type { Clock } from '@prepaid-edge/protocols';
import type { NewEvent, NewReading } from '../../core/model.js';
import type { Logger } from '../log.js';
import type { CommandOutcome, Policy, RelayDriver, SupplyState, TariffVersion } from '../../core/credit/contracts.js';
import { policyAt, type CreditPayload, type MeterCreditView, type RelayOverride } from '../../core/credit/decision.js';
import { initialAccountState } from '../../core/policy/index.js';
import type { Ledger } from '../store/ledger/index.js';
import type { AccountConfig, CreditConfig } from '../../core/config/gateway-config.js';
import { AccountMemory } from './account-memory.js';
import { Charging } from './charging.js';
import { CoalescedPostings } from './coalesced-postings.js';
import { CreditDesk } from './credit-desk.js';
import { AccountLifecycle } from './account-lifecycle.js';
import { CreditIntake } from './credit-intake.js';
import { CreditSettings, type PolicyBand } from './credit-settings.js';
import { CreditShell } from './credit-shell.js';
import { Enforcement } from './enforcement.js';
import { DemandLimiter } from './demand-limiter.js';

export type { RelayOverride } from './credit-settings.js';
export type { CreditPayload, MeterCreditView } from '../../core/credit/decision.js';
export { spendable } from '../../core/credit/decision.js';

export interface CreditEngineDeps {
  config: CreditConfig;
  /** IANA zone for tariffs and friendly periods. */
  zone: string;
  ledger: Ledger;
  /** Wall time for postings and events; the rules' wake-up timers (tests pass a ManualClock). */
  clock: Clock;
  log: Logger;
  event: (e: NewEvent) => void;
  publishCredit: (meter: string, payload: CreditPayload) => void;
  relayFor: (meter: string) => RelayDriver | undefined;
  /** Write balance, warning levels and the backup disconnect threshold to a meter that keeps them. */
  syncMeter?: (meter: string, view: MeterCreditView) => Promise<void>;
  /** Read a meter now (account-close's final reading); undefined when it cannot be read. */
  readMeter?: (meter: string) => Promise<NewReading | undefined>;
  /** Every event the engine sees, for the meter credit sync (revision 2 keypad tokens). */
  meterEvent?: (e: NewEvent) => void;
  /** Every good reading the engine is given, for the meter credit sync (revision 2 take-over at the first one). */
  meterReading?: (r: NewReading) => void;
}

export class CreditEngine {
  private readonly accounts = new Map<string, AccountConfig>();
  /** Events the walker had acted on before storing them (actOnMeterEvent), not acted on again by onEvent. */
  private readonly actedOn = new WeakSet<NewEvent>();
  private readonly postings: CoalescedPostings;
  private readonly memory: AccountMemory;
  private readonly desk: CreditDesk;
  readonly settings: CreditSettings;
  readonly charging: Charging;
  readonly intake: CreditIntake;
  readonly enforcement: Enforcement;
  readonly lifecycle: AccountLifecycle;
  /** Load limiting (policy maxDemand). */
  readonly limiter: DemandLimiter;

  constructor(private readonly deps: CreditEngineDeps) {
    for (const a of deps.config.accounts) this.accounts.set(a.meter, a);
    const { clock, ledger, log, event } = deps;
    this.postings = new CoalescedPostings(ledger);
    this.settings = new CreditSettings(deps.config, ledger);
    this.memory = new AccountMemory(ledger);
    this.enforcement = new Enforcement({ clock, ledger, log, event, relayFor: deps.relayFor, memory: this.memory, onWake: (meter) => this.wake(meter), queue: (meter, fn) => void this.desk.queue.run(meter, fn).catch((e: unknown) => log.error({ meter, err: (e as Error).message }, 'relay retry failed')) });
    const shell = new CreditShell({ clock, ledger, log, event, publishCredit: deps.publishCredit, ...(deps.syncMeter ? { syncMeter: deps.syncMeter } : {}), memory: this.memory, settings: this.settings, postings: this.postings, enforcement: this.enforcement });
    this.desk = new CreditDesk({ config: deps.config, zone: deps.zone, clock, accounts: this.accounts, memory: this.memory, settings: this.settings, shell, syncsMeter: deps.syncMeter !== undefined });
    this.charging = new Charging(this.desk, this.memory, (m) => this.accounts.has(m), log);
    this.intake = new CreditIntake(this.desk, this.settings);
    this.lifecycle = new AccountLifecycle({ config: deps.config, ledger, clock, accounts: this.accounts, desk: this.desk, memory: this.memory, policyOf: (c) => policyAt(this.settings.policyVersions(c), clock.now()), ...(deps.readMeter ? { readMeter: deps.readMeter } : {}) });
    this.limiter = new DemandLimiter({ clock, log, event, policyOf: (m) => this.commandTarget(m)?.policy, overrideOf: (m, now) => this.settings.override(m, now), override: (m, ov, cause) => this.override(m, ov, cause) });
  }

  get postingStats(): { transactions: number; postings: number } {
    return this.postings.stats;
  }

  /** Create missing accounts (with their opening balance), load command settings, re-evaluate. */
  async start(): Promise<void> {
    const { ledger, clock } = this.deps;
    await this.settings.load();
    // Accounts opened and closed by signed commands (kept in the ledger) win over the YAML list.
    await this.lifecycle.load();
    for (const a of this.accounts.values()) {
      const spec = { meter: a.meter, customer: a.customer, customerClass: a.customerClass, creditUnit: a.creditUnit, ...(a.currency ? { currency: a.currency } : {}) };
      const existing = await ledger.account(a.meter);
      if (!existing) {
        await ledger.ensureAccount(spec, initialAccountState());
        if (a.openingBalance !== 0) {
          const ts = clock.now();
          await ledger.post({ meter: a.meter, ts, entries: [{ kind: 'adjustment', amount: a.openingBalance, ts, cause: { reason: 'opening balance', source: 'config' } }], audit: { action: 'opening-balance', cause: 'config', detail: { amount: a.openingBalance } } });
        }
      } else if (existing.customerClass !== a.customerClass || existing.customer !== a.customer) {
        await ledger.ensureAccount(spec, existing.state);
      }
      this.memory.track(a.meter);
      this.memory.restoreTamper(a.meter, this.settings.tamper.get(a.meter) ?? []);
    }
    // By reconnect priority (the rating band's; 0 first, config order within one), so after an outage
    // the relays of the best-rated customers close first.
    const order = [...this.accounts.keys()].sort((a, b) => this.settings.reconnectPriority(a) - this.settings.reconnectPriority(b));
    for (const meter of order) await this.desk.run(meter, { kind: 'reevaluate', cause: 'start' }, false);
  }

  async stop(): Promise<void> {
    await this.charging.stop();
    this.enforcement.stop();
    await this.desk.queue.idle();
  }

  has(meter: string): boolean {
    return this.accounts.has(meter);
  }

  tariffFor(meter: string): TariffVersion[] {
    return this.desk.tariffFor(meter);
  }

  subunitsPerUnit(meter: string): number {
    return this.tariffFor(meter).at(-1)!.tariff.subunitsPerUnit;
  }

  /** What a command for `meter` is checked against: its account, unit size and policy now (one look-up). */
  commandTarget(meter: string): { account: AccountConfig; subunitsPerUnit: number; policy: Policy } | undefined {
    const account = this.accounts.get(meter);
    if (!account) return undefined;
    const s = this.desk.settingsFor(meter);
    return { account, subunitsPerUnit: s.versions.at(-1)!.tariff.subunitsPerUnit, policy: policyAt(s.policies, this.deps.clock.now()) };
  }

  activeTariffFrom(target: { meter?: string; customerClass?: string }): number | undefined {
    return this.settings.activeTariffFrom(target.meter, target.customerClass, this.deps.clock.now());
  }

  activePolicyFrom(target: { customerClass?: string }): number | undefined {
    return this.settings.activePolicyFrom(target.customerClass ?? '', this.deps.clock.now());
  }

  onEvent(e: NewEvent): void {
    this.charging.onEvent(e);
    if (e.meter && this.accounts.has(e.meter)) this.deps.meterEvent?.(e);
    // A meter log entry acted on before it was stored (the walker's `act`) is not acted on again.
    if (!this.actedOn.has(e)) void this.actOnMeterEvent(e).catch((err: Error) => this.deps.log.error({ meter: e.meter, err: err.message }, 'acting on a meter event failed'));
  }

  /**
   * What a prepaid meter's own log entry does to its account, committed before the walker stores
   * the entry and moves its mark (so a crash in between repeats it rather than losing it):
   * power down/up is one no-charge ledger record each, once by the meter's seq; 'A' on the keypad
   * asks the policy for emergency credit (a second ask while it is in use changes nothing).
   */
  async actOnMeterEvent(e: NewEvent): Promise<void> {
    this.actedOn.add(e);
    if (e.type !== 'meter-event' || !e.meter || !this.accounts.has(e.meter)) return;
    const meter = e.meter;
    if ((e.data?.kind === 'power-down' || e.data?.kind === 'power-up') && typeof e.data.seq === 'number') {
      const { seq, kind, meterTs } = e.data as { seq: number; kind: string; meterTs?: number | null };
      await this.intake.meterRecord(meter, `meter-event:${meter}:${seq}`, kind, { seq, meterTs: meterTs ?? null });
    }
    if (e.data?.kind === 'emergency-requested') await this.intake.requestEmergencyCredit(meter, 'keypad');
  }

  /** A good reading (already committed to the outbox). Resolves when it is charged and enforced. */
  onReading(r: NewReading): Promise<void> {
    this.deps.meterReading?.(r);
    return this.charging.onReading(r).then(() => this.limiter.onReading(r));
  }

  /** Drive the relay directly (a meter without an account), verified by readback and audited. */
  setRelay(meter: string, target: SupplyState, cause: string): Promise<SupplyState | undefined> {
    return this.enforcement.setRelay(meter, target, cause);
  }

  /** A clear-tamper token: the latch goes, in memory and in the ledger's settings. */
  async clearTamper(meter: string, cause = 'clear-tamper token'): Promise<void> {
    this.memory.clearTamper(meter);
    if (this.settings.tamper.has(meter)) await this.settings.setTamper(meter, [], { ts: this.deps.clock.now(), cause });
  }

  keypadToken(meter: string, wh: number, id: string): Promise<CommandOutcome> {
    return this.intake.keypadToken(meter, wh, id);
  }

  buttonPressed(meter: string): Promise<void> {
    return this.intake.buttonPressed(meter);
  }

  /** Hold the relay in a state for maintenance, or release it (null) back to the credit rules. */
  async override(meter: string, ov: RelayOverride | null, cause: string): Promise<SupplyState | undefined> {
    return (await this.desk.run(meter, { kind: 'override', override: ov, cause })).readback;
  }

  addTariffVersion(target: { meter?: string; customerClass?: string }, v: TariffVersion, commandId: string): Promise<void> {
    return this.settings.addTariff(target, v, { ts: this.deps.clock.now(), cause: `command ${commandId}` });
  }

  addPolicyVersion(customerClass: string, activeFrom: number, policy: Policy, commandId: string): Promise<void> {
    return this.settings.addPolicy(customerClass, { activeFrom, policy }, { ts: this.deps.clock.now(), cause: `command ${commandId}` });
  }

  /**
   * The credit rating moved the account to a band: its policy from now on is `band.policy` (a key
   * of credit.policies), evaluated at once (queued behind the account's other work); its
   * `reconnectPriority` orders the re-evaluation at start.
   */
  async setPolicyBand(meter: string, band: PolicyBand, cause: string, detail: Record<string, unknown> = {}): Promise<void> {
    if (!this.accounts.has(meter) || !this.deps.config.policies[band.policy]) return;
    const now = this.settings.bands.get(meter);
    if (now?.policy === band.policy && now.reconnectPriority === band.reconnectPriority) return;
    await this.desk.queue.run(meter, () => this.settings.setBand(meter, band, { ts: this.deps.clock.now(), cause, detail }));
    await this.desk.run(meter, { kind: 'reevaluate', cause: 'timer' }, false);
  }

  /** Wait until every queued charge and command has been handled (tests, shutdown). */
  idle(): Promise<void> {
    return this.desk.queue.idle();
  }

  private wake(meter: string): void {
    void this.desk.run(meter, { kind: 'reevaluate', cause: 'timer' }, false).catch((e: Error) => this.deps.log.error({ meter, err: e.message }, 'timed re-evaluation failed'));
  }
}
