/**
 * Takes the frozen readings: on each stored reading of a meter, every daily/monthly period whose
 * boundary has passed since the last one frozen is snapshotted from this reading, stored in the
 * outbox's `frozen` table and, in the same transaction, queued as an outbox event that the uplink
 * publishes on `{prefix}/{gw}/meters/{meter}/frozen`. A gateway down over midnight freezes from its
 * first reading after the start (marked `late`); missed periods are frozen once each.
 */
import type { NewReading } from '../../core/model.js';
import { dueFrozen, frozenId, frozenReading, nextDueAt, type FrozenReading } from '../../core/frozen/index.js';
import type { FrozenRow, SqliteOutbox } from '../store/sqlite-outbox.js';
import { FROZEN_EVENT } from '../uplink/payloads.js';
import type { Logger } from '../log.js';

export interface FrozenKeeperDeps {
  outbox: Pick<SqliteOutbox, 'appendFrozen' | 'lastFrozen'>;
  gatewayId: string;
  zone: string;
  /** Billing day (1..28) of a meter: its account's tariff, else the gateway's (gateway.billingDay). */
  billingDay: (meter: string) => number;
  /** The booked balance of the meter's account, if it has one. */
  balance?: (meter: string) => Promise<number | undefined>;
  log?: Pick<Logger, 'info' | 'error'>;
}

/** What the frozen topic carries (docs/mqtt.md "Frozen readings"). */
export interface FrozenPayload extends FrozenReading {
  id: string;
  gateway: string;
  timezone: string;
}

/**
 * How long frozen readings stay in the gateway's file (they were forwarded long before): daily ones
 * 400 days, monthly ones 10 years: about 130 KB of daily rows per meter (~330 bytes each).
 */
export const FROZEN_KEEP_MS: Readonly<Record<FrozenReading['kind'], number>> = { daily: 400 * 86_400_000, monthly: 3653 * 86_400_000 };

export class FrozenKeeper {
  private last = new Map<string, { daily?: string; monthly?: string }>();
  /** First reading seen of a meter never frozen: boundaries after it are due. */
  private readonly since = new Map<string, number>();
  private readonly chains = new Map<string, Promise<unknown>>();
  /** Per meter: no period is due before this instant (readings before it cost one comparison). */
  private readonly notBefore = new Map<string, number>();
  frozenCount = 0;

  private constructor(private readonly deps: FrozenKeeperDeps) {}

  static async open(deps: FrozenKeeperDeps): Promise<FrozenKeeper> {
    const k = new FrozenKeeper(deps);
    k.last = await deps.outbox.lastFrozen();
    return k;
  }

  /** Freeze what is due from this (stored) reading; resolves when those are committed. */
  onReading(r: NewReading): Promise<FrozenPayload[]> {
    if (r.ts < (this.notBefore.get(r.meter) ?? -Infinity) && !this.chains.has(r.meter)) return Promise.resolve([]);
    const prev = this.chains.get(r.meter) ?? Promise.resolve();
    const next = prev.then(() => this.freeze(r));
    const tail = next.catch(() => undefined).finally(() => {
      if (this.chains.get(r.meter) === tail) this.chains.delete(r.meter);
    });
    this.chains.set(r.meter, tail);
    return next;
  }

  private async freeze(r: NewReading): Promise<FrozenPayload[]> {
    const last = this.last.get(r.meter) ?? {};
    if (!this.since.has(r.meter)) this.since.set(r.meter, r.ts);
    const rule = { zone: this.deps.zone, billingDay: this.deps.billingDay(r.meter), last, since: this.since.get(r.meter)! };
    const due = dueFrozen({ ...rule, now: r.ts });
    if (due.length === 0) {
      this.notBefore.set(r.meter, nextDueAt(rule));
      return [];
    }
    const balance = await this.deps.balance?.(r.meter);
    const out: FrozenPayload[] = [];
    for (const p of due) {
      const f = frozenReading(r.meter, p, r, balance);
      const payload: FrozenPayload = { id: frozenId(this.deps.gatewayId, f), gateway: this.deps.gatewayId, timezone: this.deps.zone, ...f };
      const row: FrozenRow = { meter: f.meter, kind: f.kind, period: f.period, at: f.at, value: payload as unknown as Record<string, unknown>, pruneBefore: f.at - FROZEN_KEEP_MS[f.kind] };
      const stored = await this.deps.outbox.appendFrozen(row, { ts: r.ts, type: FROZEN_EVENT, meter: r.meter, data: row.value });
      this.last.set(r.meter, { ...this.last.get(r.meter), [p.kind]: p.period });
      if (!stored) continue; // frozen before (another run): never twice
      this.frozenCount++;
      out.push(payload);
      this.deps.log?.info({ meter: r.meter, kind: p.kind, period: p.period, late: f.late }, 'frozen reading');
    }
    this.notBefore.set(r.meter, nextDueAt({ ...rule, last: this.last.get(r.meter) ?? {} }));
    return out;
  }
}
