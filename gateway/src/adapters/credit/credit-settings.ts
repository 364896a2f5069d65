/**
 * What signed commands changed after start-up, on top of the configuration: tariff versions (per
 * customer class or per meter), policy versions (per class), maintenance relay overrides and
 * OpenPAYGO time credit. Kept in the ledger's settings table so a restart keeps them.
 *
 * Version rules: the configuration's tariff and policy apply from the beginning of time; a command
 * adds a version from its `activeFrom`. At any instant the version with the latest activeFrom at or
 * before it applies; a meter's own tariff versions outrank its class's versions from their start.
 */
import type { Policy, TariffVersion } from '../../core/credit/contracts.js';
import type { TimeCredit } from '../tokens/index.js';
import type { Ledger } from '../store/ledger/index.js';
import type { CreditConfig } from '../../core/config/gateway-config.js';

import { policyAt, type PolicyVersions, type RelayOverride } from '../../core/credit/decision.js';

export type { RelayOverride } from '../../core/credit/decision.js';

/** What a credit-rating band sets on an account (core/rating). */
export interface PolicyBand {
  policy: string;
  reconnectPriority: number;
}

export interface PolicyVersion {
  activeFrom: number;
  policy: Policy;
}

export class CreditSettings {
  private readonly classTariffs = new Map<string, TariffVersion[]>();
  private readonly meterTariffs = new Map<string, TariffVersion[]>();
  private readonly classPolicies = new Map<string, PolicyVersion[]>();
  readonly overrides = new Map<string, RelayOverride>();
  readonly timeCredit = new Map<string, TimeCredit>();
  readonly tamper = new Map<string, string[]>();
  /** Per meter: the policy its credit-rating band chose (core/rating), instead of its class's, and its reconnect priority. */
  readonly bands = new Map<string, PolicyBand>();
  /** Bumped by every change, so a look-up built from these settings knows when it is stale. */
  changes = 0;

  constructor(
    private readonly config: CreditConfig,
    private readonly ledger: Ledger,
  ) {}

  async load(): Promise<void> {
    for (const { key, value } of await this.ledger.settings('')) {
      const [kind, id] = splitKey(key);
      if (kind === 'tariff-class') this.classTariffs.set(id, value as TariffVersion[]);
      else if (kind === 'tariff-meter') this.meterTariffs.set(id, value as TariffVersion[]);
      else if (kind === 'policy-class') this.classPolicies.set(id, value as PolicyVersion[]);
      else if (kind === 'override') this.overrides.set(id, value as RelayOverride);
      else if (kind === 'time-credit') this.timeCredit.set(id, value as TimeCredit);
      else if (kind === 'tamper') this.tamper.set(id, value as string[]);
      else if (kind === 'band' && value) this.bands.set(id, value as PolicyBand);
    }
    this.changes++;
  }

  /** Every tariff version that can apply to a meter of `customerClass`, oldest first. */
  tariffVersions(meter: string, customerClass: string): TariffVersion[] {
    const tariffId = this.config.classes[customerClass]!.tariff;
    const own = this.meterTariffs.get(meter) ?? [];
    const base = [...this.config.tariffs[tariffId]!, ...(this.classTariffs.get(customerClass) ?? [])];
    if (own.length === 0) return sortVersions(base);
    const from = own[0]!.activeFrom;
    return sortVersions([...base.filter((v) => v.activeFrom < from), ...own]);
  }

  policyAt(customerClass: string, now: number): Policy {
    return policyAt(this.policyVersions(customerClass), now);
  }

  /**
   * A class's policy versions as data, for the decision step. A meter moved to a band by its
   * credit rating gets the band's policy (a configured one; command versions are per class).
   */
  policyVersions(customerClass: string, meter?: string): PolicyVersions {
    const band = meter === undefined ? undefined : this.bands.get(meter);
    const banded = band === undefined ? undefined : this.config.policies[band.policy];
    if (banded) return { configured: banded, versions: [] };
    return { configured: this.config.policies[this.config.classes[customerClass]!.policy]!, versions: this.classPolicies.get(customerClass) ?? [] };
  }

  /** activeFrom of the version in force now (the stale rule for commands). */
  activeTariffFrom(meter: string | undefined, customerClass: string | undefined, now: number): number | undefined {
    const list = meter ? this.meterTariffs.get(meter) ?? [] : this.classTariffs.get(customerClass ?? '') ?? [];
    return list.filter((v) => v.activeFrom <= now).at(-1)?.activeFrom;
  }

  activePolicyFrom(customerClass: string, now: number): number | undefined {
    return (this.classPolicies.get(customerClass) ?? []).filter((v) => v.activeFrom <= now).at(-1)?.activeFrom;
  }

  async addTariff(target: { meter?: string; customerClass?: string }, v: TariffVersion, audit: { ts: number; cause: string }): Promise<void> {
    const [map, id, kind] = target.meter ? [this.meterTariffs, target.meter, 'tariff-meter'] : [this.classTariffs, target.customerClass!, 'tariff-class'];
    const list = sortVersions([...(map.get(id) ?? []).filter((x) => x.activeFrom !== v.activeFrom), v]);
    await this.ledger.saveSetting(`${kind}/${id}`, list, { ts: audit.ts, ...(target.meter ? { meter: target.meter } : {}), action: 'tariff-version', cause: audit.cause, detail: { target, tariff: v.tariff.id, activeFrom: v.activeFrom } });
    map.set(id, list);
    this.changes++;
  }

  async addPolicy(customerClass: string, v: PolicyVersion, audit: { ts: number; cause: string }): Promise<void> {
    const list = [...(this.classPolicies.get(customerClass) ?? []).filter((x) => x.activeFrom !== v.activeFrom), v].sort((a, b) => a.activeFrom - b.activeFrom);
    await this.ledger.saveSetting(`policy-class/${customerClass}`, list, { ts: audit.ts, action: 'policy-version', cause: audit.cause, detail: { customerClass, policy: v.policy.id, activeFrom: v.activeFrom } });
    this.classPolicies.set(customerClass, list);
    this.changes++;
  }

  async setOverride(meter: string, ov: RelayOverride | null, audit: { ts: number; cause: string }): Promise<void> {
    await this.ledger.saveSetting(`override/${meter}`, ov, { ts: audit.ts, meter, action: ov ? 'relay-override' : 'relay-override-released', cause: audit.cause, detail: ov ? { ...ov } : {} });
    if (ov) this.overrides.set(meter, ov);
    else this.overrides.delete(meter);
    this.changes++;
  }

  /** The override holding a meter's relay at `now`, if any. */
  override(meter: string, now: number): RelayOverride | undefined {
    const ov = this.overrides.get(meter);
    return ov && ov.until > now ? ov : undefined;
  }

  /** The latched tamper kinds of a meter, kept across restarts until a clear-tamper token; [] = none. */
  async setTamper(meter: string, kinds: readonly string[], audit: { ts: number; cause: string }): Promise<void> {
    await this.ledger.saveSetting(`tamper/${meter}`, [...kinds], { ts: audit.ts, meter, action: kinds.length ? 'tamper-latched' : 'tamper-cleared', cause: audit.cause, detail: { kinds: [...kinds] } });
    if (kinds.length) this.tamper.set(meter, [...kinds]);
    else this.tamper.delete(meter);
    this.changes++;
  }

  /** Move a meter to a band's policy (a key of credit.policies), or back to its class's (null). */
  async setBand(meter: string, band: PolicyBand | null, audit: { ts: number; cause: string; detail?: Record<string, unknown> }): Promise<void> {
    await this.ledger.saveSetting(`band/${meter}`, band, { ts: audit.ts, meter, action: 'policy-band', cause: audit.cause, detail: { policy: band?.policy ?? null, reconnectPriority: band?.reconnectPriority ?? null, ...(audit.detail ?? {}) } });
    if (band === null) this.bands.delete(meter);
    else this.bands.set(meter, { ...band });
    this.changes++;
  }

  /** 0 first: the order accounts are re-evaluated (and reconnected) at start; unbanded accounts 0. */
  reconnectPriority(meter: string): number {
    return this.bands.get(meter)?.reconnectPriority ?? 0;
  }

  async setTimeCredit(meter: string, credit: TimeCredit, audit: { ts: number; cause: string; detail: Record<string, unknown> }): Promise<void> {
    await this.ledger.saveSetting(`time-credit/${meter}`, credit, { ts: audit.ts, meter, action: 'time-credit', cause: audit.cause, detail: { ...audit.detail, paidUntil: credit.paidUntil, unlocked: credit.unlocked } });
    this.timeCredit.set(meter, credit);
    this.changes++;
  }
}

function splitKey(key: string): [string, string] {
  const i = key.indexOf('/');
  return i < 0 ? [key, ''] : [key.slice(0, i), key.slice(i + 1)];
}

function sortVersions(list: TariffVersion[]): TariffVersion[] {
  return [...list].sort((a, b) => a.activeFrom - b.activeFrom);
}
