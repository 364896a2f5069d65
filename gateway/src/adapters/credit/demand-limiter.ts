/**
 * Load limiting per account (policy `maxDemand`): each reading's power goes through the pure
 * limiter step (core/policy/max-demand.ts); a trip holds the relay open with a relay override
 * (`by: max-demand`, until the reconnect time) so the credit rules do not close it meanwhile, and
 * when it runs out the rules put the relay back where they want it: closed if credit remains,
 * open if it ran out meanwhile. The override is stored in the ledger's settings, so a restart
 * keeps the relay open until the reconnect time. A maintenance override is never replaced.
 */
import type { Clock } from '@prepaid-edge/protocols';
import type { NewEvent, NewReading } from '../../core/model.js';
import type { Policy } from '../../core/credit/contracts.js';
import type { RelayOverride } from '../../core/credit/decision.js';
import { demandStep, idleDemand, type DemandState } from '../../core/policy/max-demand.js';
import type { Logger } from '../log.js';

export interface DemandLimiterDeps {
  clock: Clock;
  log: Logger;
  event: (e: NewEvent) => void;
  /** The account's policy now, or undefined for a meter without an account. */
  policyOf: (meter: string) => Policy | undefined;
  /** The override holding the relay now, if any. */
  overrideOf: (meter: string, now: number) => RelayOverride | undefined;
  override: (meter: string, ov: RelayOverride, cause: string) => Promise<unknown>;
}

export const MAX_DEMAND_CAUSE = 'max-demand';

export class DemandLimiter {
  private readonly states = new Map<string, DemandState>();

  constructor(private readonly deps: DemandLimiterDeps) {}

  /** A good reading (a failed read never gets here, so it never trips). */
  async onReading(r: NewReading): Promise<void> {
    const cfg = this.deps.policyOf(r.meter)?.maxDemand;
    if (!cfg) {
      this.states.delete(r.meter);
      return;
    }
    const step = demandStep(this.states.get(r.meter) ?? idleDemand(), cfg, r.ts, r.values.power);
    this.states.set(r.meter, step.state);
    const a = step.action;
    if (a?.type !== 'trip') return;
    const reconnectAt = r.ts + cfg.reconnectSeconds * 1000;
    const held = this.deps.overrideOf(r.meter, this.deps.clock.now());
    this.deps.event({ ts: r.ts, type: 'max-demand-exceeded', meter: r.meter, data: { cause: MAX_DEMAND_CAUSE, limitW: cfg.limitW, peakW: a.peakW, overMs: a.overMs, reconnectAt, ...(held ? { heldBy: held.by } : {}) } });
    if (held) return; // a maintenance override (or a trip already running) decides the relay
    try {
      await this.deps.override(r.meter, { state: 'disconnected', until: reconnectAt, by: MAX_DEMAND_CAUSE }, MAX_DEMAND_CAUSE);
    } catch (e) {
      this.deps.log.error({ meter: r.meter, err: (e as Error).message }, 'max-demand trip failed');
    }
  }
}
