/**
 * Where an input meets an account: one job at a time per meter (KeyedQueue), the account's memory
 * and settings looked up, the pure step decides (core/credit/decide.ts), the shell carries it out.
 */
import type { Clock } from '@prepaid-edge/protocols';
import type { TariffVersion } from '../../core/credit/contracts.js';
import type { CreditInput, MeterMemory, MeterSettings } from '../../core/credit/decision.js';
import { decide } from '../../core/credit/decide.js';
import type { AccountConfig, CreditConfig } from '../../core/config/gateway-config.js';
import type { AccountMemory } from './account-memory.js';
import type { CreditSettings } from './credit-settings.js';
import type { Carried, CreditShell } from './credit-shell.js';
import { KeyedQueue } from './keyed-queue.js';

export interface CreditDeskDeps {
  config: CreditConfig;
  zone: string;
  clock: Clock;
  accounts: ReadonlyMap<string, AccountConfig>;
  memory: AccountMemory;
  settings: CreditSettings;
  shell: CreditShell;
  /** Credit is written to meters that keep it (the runtime's meter sync). */
  syncsMeter: boolean;
}

export class CreditDesk {
  readonly queue = new KeyedQueue();
  private readonly cache = new Map<string, { changes: number; settings: MeterSettings }>();

  constructor(private readonly deps: CreditDeskDeps) {}

  tariffFor(meter: string): TariffVersion[] {
    return this.deps.settings.tariffVersions(meter, this.deps.accounts.get(meter)!.customerClass);
  }

  /** The account's settings, rebuilt only after the settings changed (not for every reading). */
  settingsFor(meter: string): MeterSettings {
    const hit = this.cache.get(meter);
    if (hit && hit.changes === this.deps.settings.changes) return hit.settings;
    const settings = this.build(meter);
    this.cache.set(meter, { changes: this.deps.settings.changes, settings });
    return settings;
  }

  /** The account's holder or class changed (account-open / close): build its settings afresh. */
  forget(meter: string): void {
    this.cache.delete(meter);
  }

  private build(meter: string): MeterSettings {
    const { settings, config, zone } = this.deps;
    const a = this.deps.accounts.get(meter)!;
    const override = settings.overrides.get(meter);
    const timeCredit = settings.timeCredit.get(meter);
    return {
      zone,
      chargeEveryMs: config.chargeEveryMs,
      syncsMeter: this.deps.syncsMeter,
      creditUnit: a.creditUnit,
      ...(a.currency ? { currency: a.currency } : {}),
      timeCredited: Boolean(a.openpaygo),
      versions: this.tariffFor(meter),
      policies: settings.policyVersions(a.customerClass, meter),
      ...(override ? { override } : {}),
      ...(timeCredit ? { timeCredit } : {}),
    };
  }

  /**
   * Decide `input` for `meter` and carry it out, queued behind the account's other work. An
   * account missing from the ledger is an error when `must`, else the input is dropped.
   */
  run(meter: string, input: CreditInput | ((now: number) => CreditInput), must = true): Promise<Carried> {
    return this.queue.run(meter, async () => {
      const m = must ? await this.deps.memory.mustLoad(meter) : await this.deps.memory.load(meter);
      if (!m) return {};
      const now = this.deps.clock.now();
      return this.deps.shell.post(decide(m, typeof input === 'function' ? input(now) : input, this.settingsFor(meter), now));
    });
  }

  /** Like run, with an input made from the account's memory by async look-ups (ledger reads) inside the account's turn, so nothing posts in between. */
  runWith(meter: string, make: (m: MeterMemory, now: number) => Promise<CreditInput>): Promise<Carried> {
    return this.queue.run(meter, async () => {
      const m = await this.deps.memory.mustLoad(meter);
      const input = await make(m, this.deps.clock.now());
      const now = this.deps.clock.now();
      return this.deps.shell.post(decide(m, input, this.settingsFor(meter), now));
    });
  }
}
