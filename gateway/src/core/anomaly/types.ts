/**
 * Early warning of abnormal use: the rule file's shapes (schema/anomaly.schema.json) after parsing.
 * Energy in integer Wh, power in W, voltage in V, durations in seconds.
 */

interface RuleBase {
  id: string;
  severity: 'warning' | 'alarm';
  /** Consecutive judged windows (days, for day rules) over the raise threshold before the event. */
  raiseAfter: number;
  /** Consecutive judged windows inside the clear threshold before the cleared event. */
  clearAfter: number;
}

export interface SuddenChangeRule extends RuleBase {
  kind: 'sudden-change';
  direction: 'rise' | 'drop';
  ratio: number;
  clearRatio: number;
  baselineDays: number;
  minBaselineWh: number;
  minDeltaWh: number;
}

export interface NightUseRule extends RuleBase {
  kind: 'night-use';
  from: string;
  to: string;
  ratio: number;
  clearRatio: number;
  baselineDays: number;
  minDeltaWh: number;
}

export interface ZeroUseRule extends RuleBase {
  kind: 'zero-use';
  minSupplyPct: number;
}

export interface ReverseEnergyRule extends RuleBase {
  kind: 'reverse-energy';
  minWh: number;
}

export interface VoltageRule extends RuleBase {
  kind: 'voltage';
  direction: 'sag' | 'swell';
  pct: number;
  clearPct: number;
  minSeconds: number;
}

export interface PhaseLossRule extends RuleBase {
  kind: 'phase-loss';
  minSeconds: number;
}

export interface OverloadRule extends RuleBase {
  kind: 'overload';
  pct: number;
  clearPct: number;
  minSeconds: number;
}

export interface EnergyBalanceRule extends RuleBase {
  kind: 'energy-balance';
  lossPct: number;
  clearPct: number;
  minFeederWh: number;
}

export type DayRule = SuddenChangeRule | NightUseRule;
export type MeterWindowRule = ZeroUseRule | ReverseEnergyRule | VoltageRule | PhaseLossRule | OverloadRule;
export type AnomalyRule = DayRule | MeterWindowRule | EnergyBalanceRule;
export type AnomalyKind = AnomalyRule['kind'];

export const DAY_KINDS: ReadonlySet<AnomalyKind> = new Set(['sudden-change', 'night-use']);

export interface MeterFacts {
  contractedW?: number;
  exportAllowed: boolean;
  phases: 1 | 3;
}

export interface Feeder {
  meter: string;
  subMeters: string[];
}

export interface AnomalyConfig {
  passSeconds: number;
  maxGapSeconds: number;
  minCoveragePct: number;
  nominalV: number;
  supplyPresentV: number;
  meters: Record<string, MeterFacts>;
  feeders: Feeder[];
  rules: AnomalyRule[];
}

/** What one rule concluded about one meter (or feeder) for one window or day. */
export type Verdict =
  /** Over the raise threshold. */
  | { state: 'raise'; value: number; threshold: number; detail: string }
  /** Inside the clear threshold. */
  | { state: 'clear'; value: number; threshold: number; detail: string }
  /** Between the two (hysteresis band): nothing changes. */
  | { state: 'hold'; value: number; threshold: number; detail: string }
  /** Not enough data (a hole, too little coverage, no baseline yet, rule does not apply): not judged. */
  | { state: 'unknown'; detail: string };
