/**
 * Is a freshly decoded set of values a reading? Pure rules, tested by table:
 * - every value finite, inside its register's range (profile min/max) and the measurement's range;
 * - energy counters never go backwards and never jump faster than the meter's maximum power allows.
 * A backwards or jumping counter may be a meter replacement: the reader confirms that over a few
 * polls (see CounterWatch) before it re-baselines.
 */
import { MEASUREMENTS, type RegisterDef } from '@prepaid-edge/protocols';

export type Verdict = { ok: true } | { ok: false; reason: 'not-finite' | 'out-of-range' | 'energy-backwards' | 'energy-jump'; field: string; value: number; detail: string };

export const ENERGY_COUNTERS = ['energyImport', 'energyExport'] as const;

export interface PreviousReading {
  ts: number;
  values: Readonly<Record<string, number>>;
}

export interface PlausibilityOptions {
  /** Largest power the supply can deliver, W: bounds how fast energy may grow. */
  maxPowerW: number;
  /** Allowed energy growth on top of maxPower x dt, Wh (register resolution, clock jitter). */
  slackWh: number;
}

export const DEFAULT_PLAUSIBILITY: PlausibilityOptions = { maxPowerW: 500_000, slackWh: 10 };

export function checkRanges(defs: readonly RegisterDef[], values: Readonly<Record<string, number>>): Verdict {
  for (const d of defs) {
    const v = values[d.name];
    if (v === undefined) continue;
    if (!Number.isFinite(v)) return { ok: false, reason: 'not-finite', field: d.name, value: v, detail: `${d.name} is ${v}` };
    const m = MEASUREMENTS[d.name];
    const min = Math.max(d.min ?? -Infinity, m?.min ?? -Infinity);
    const max = Math.min(d.max ?? Infinity, m?.max ?? Infinity);
    if (v < min || v > max) return { ok: false, reason: 'out-of-range', field: d.name, value: v, detail: `${d.name}=${v} outside ${min}..${max}` };
  }
  return { ok: true };
}

export function checkCounters(values: Readonly<Record<string, number>>, ts: number, prev: PreviousReading | undefined, opts: PlausibilityOptions = DEFAULT_PLAUSIBILITY): Verdict {
  if (!prev) return { ok: true };
  const dtMs = Math.max(0, ts - prev.ts);
  const maxGrowthWh = (opts.maxPowerW * dtMs) / 3_600_000 + opts.slackWh;
  for (const name of ENERGY_COUNTERS) {
    const v = values[name];
    const p = prev.values[name];
    if (v === undefined || p === undefined) continue;
    if (v < p) return { ok: false, reason: 'energy-backwards', field: name, value: v, detail: `${name} went from ${p} to ${v} Wh` };
    if (v - p > maxGrowthWh) return { ok: false, reason: 'energy-jump', field: name, value: v, detail: `${name} grew ${v - p} Wh in ${dtMs} ms (max ${Math.floor(maxGrowthWh)})` };
  }
  return { ok: true };
}

/**
 * Watches for a counter that moved discontinuously. After `confirmations` consecutive polls that
 * agree with each other (monotonic, plausible) but not with the old baseline, it reports a reset.
 */
export class CounterWatch {
  private candidate: PreviousReading[] = [];
  constructor(
    private readonly confirmations = 3,
    private readonly opts: PlausibilityOptions = DEFAULT_PLAUSIBILITY,
  ) {}

  /** Feed a reading that failed checkCounters; returns the confirmed new baseline, or undefined while unsure. */
  suspect(r: PreviousReading): PreviousReading | undefined {
    const last = this.candidate[this.candidate.length - 1];
    if (last && !checkCounters(r.values, r.ts, last, this.opts).ok) this.candidate = [];
    this.candidate.push(r);
    if (this.candidate.length < this.confirmations) return undefined;
    this.candidate = [];
    return r;
  }

  /** A good reading ends any suspicion. */
  clear(): void {
    this.candidate = [];
  }
}
