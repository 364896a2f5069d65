/**
 * The anomaly rules over a fleet, without I/O: readings go in one at a time (O(1) each), a pass
 * closes the current window (power quality, zero use, reverse energy, energy balance) and a day
 * close judges the local day against each meter's own baseline (sudden change, night use). Each
 * returns the alarms that were raised or cleared; hysteresis makes each happen once.
 * The caller (adapters/anomaly) owns the schedule and turns changes into events.
 */
import { offsetPiece, type OffsetPiece } from '../tariff/local-time.js';
import { idleAlarm, stepAlarm, type AlarmState } from './alarm.js';
import { judgeBalance, judgeDay, judgeWindow, scaledWh, type DayTotals } from './judge.js';
import { planRules, type RulePlan } from './plan.js';
import { DAY_KINDS, type AnomalyConfig, type AnomalyKind, type AnomalyRule, type DayRule, type EnergyBalanceRule, type MeterWindowRule, type Verdict } from './types.js';
import { addInterval, UseWindow, type IntervalContext, type Sample } from './use-window.js';

export interface AnomalyChange {
  change: 'raised' | 'cleared';
  /** The meter, or the feeder meter for energy-balance. */
  meter: string;
  rule: string;
  kind: AnomalyKind;
  severity: 'warning' | 'alarm';
  /** The measured quantity (seconds, Wh, %, ratio: see docs/mqtt.md) and the raise threshold. */
  value: number;
  threshold: number;
  detail: string;
  /** The window (or day) judged, epoch ms. */
  from: number;
  to: number;
  /** cleared: when it was raised. */
  since?: number;
  subMeters?: string[];
}

/** The engine's memory worth keeping across a restart (JSON). */
export interface EngineSnapshot {
  version: 1;
  alarms: Array<{ meter: string; rule: string } & AlarmState>;
  baselines: Record<string, { weekday: DayTotals[]; weekend: DayTotals[] }>;
}

export interface ActiveAlarm {
  meter: string;
  rule: string;
  kind: AnomalyKind;
  since: number;
}

interface Track {
  prev: Sample | undefined;
  win: UseWindow;
  day: UseWindow;
  ctx: IntervalContext;
  /** Complete normal days, oldest first, by day type: weekdays and weekends are judged apart (a shop is shut on Sunday). */
  baseline: { weekday: DayTotals[]; weekend: DayTotals[] };
  /** By rule index. */
  alarms: Map<number, AlarmState>;
}

const VOLT_KEYS = ['voltageL1', 'voltageL2', 'voltageL3'] as const;

/** A reading's values reduced to a Sample (NaN for what it lacks). */
export function sampleOf(ts: number, values: Readonly<Record<string, number>>): Sample {
  const volts: number[] = [];
  for (const k of VOLT_KEYS) {
    const v = values[k];
    if (v !== undefined && Number.isFinite(v)) volts.push(v);
  }
  return {
    ts,
    importWh: values.energyImport ?? NaN,
    exportWh: values.energyExport ?? NaN,
    powerW: values.power ?? NaN,
    volts,
    relayClosed: values.relayClosed !== 0,
  };
}

export class AnomalyEngine {
  private readonly plan: RulePlan;
  private readonly tracks = new Map<string, Track>();
  private readonly maxGapMs: number;
  private readonly baselineKeep: number;
  private readonly windowRules: Array<[number, MeterWindowRule]> = [];
  private readonly dayRules: Array<[number, DayRule]> = [];
  private readonly balanceRules: Array<[number, EnergyBalanceRule]> = [];
  /** Feeder meter -> alarm by rule index. */
  private readonly balanceAlarms = new Map<string, Map<number, AlarmState>>();
  private windowStart: number;
  private dayStart: number;
  private piece: OffsetPiece | undefined;

  constructor(
    readonly config: AnomalyConfig,
    private readonly zone: string,
    start: number,
  ) {
    this.plan = planRules(config);
    this.maxGapMs = config.maxGapSeconds * 1000;
    config.rules.forEach((r: AnomalyRule, i) => {
      if (r.kind === 'energy-balance') this.balanceRules.push([i, r]);
      else if (DAY_KINDS.has(r.kind)) this.dayRules.push([i, r as DayRule]);
      else this.windowRules.push([i, r as MeterWindowRule]);
    });
    this.baselineKeep = Math.max(0, ...this.dayRules.map(([, r]) => r.baselineDays));
    this.windowStart = start;
    this.dayStart = start;
  }

  private track(meter: string): Track {
    let t = this.tracks.get(meter);
    if (!t) {
      const facts = this.config.meters[meter];
      const n = this.plan.probes.length;
      const k = this.plan.nights.length;
      t = {
        prev: undefined,
        win: new UseWindow(n, k),
        day: new UseWindow(n, k),
        ctx: { probes: this.plan.probes, nights: this.plan.nights, supplyPresentV: this.config.supplyPresentV, contractedW: facts?.contractedW, phases: facts?.phases ?? 1 },
        baseline: { weekday: [], weekend: [] },
        alarms: new Map(),
      };
      this.tracks.set(meter, t);
    }
    return t;
  }

  /** Local minute of the day at `ms` (the zone's offset cached per constant stretch). */
  private minuteOfDay(ms: number): number {
    let p = this.piece;
    if (!p || ms < p.start || ms >= p.end) p = this.piece = offsetPiece(ms, this.zone);
    const wall = ms + p.offset;
    return Math.floor((((wall % 86_400_000) + 86_400_000) % 86_400_000) / 60_000);
  }

  /** One stored reading. Out-of-order or duplicate readings are ignored. */
  observe(meter: string, ts: number, values: Readonly<Record<string, number>>): void {
    this.observeSample(meter, sampleOf(ts, values));
  }

  observeSample(meter: string, s: Sample): void {
    const t = this.track(meter);
    const prev = t.prev;
    if (prev && s.ts <= prev.ts) return;
    t.prev = s;
    if (!prev || s.ts - prev.ts > this.maxGapMs) return;
    // an interval that straddles a window edge counts where it ends (the edges are a pass's now)
    addInterval([t.win, t.day], t.ctx, prev, s, this.minuteOfDay((prev.ts + s.ts) / 2));
  }

  /** Close the current window at `now`: judge the window rules and the energy balance. */
  closeWindow(now: number): AnomalyChange[] {
    const from = this.windowStart;
    const windowMs = now - from;
    this.windowStart = now;
    const out: AnomalyChange[] = [];
    if (this.windowRules.length)
      for (const [meter, t] of this.tracks)
        for (const [i, rule] of this.windowRules) {
          const v = judgeWindow(rule, t.win, windowMs, this.config.meters[meter], this.config, this.plan.raiseProbe[i]!, this.plan.clearProbe[i]!);
          this.step(out, t.alarms, i, rule, meter, v, from, now);
        }
    for (const f of this.config.feeders) {
      let alarms = this.balanceAlarms.get(f.meter);
      if (!alarms) this.balanceAlarms.set(f.meter, (alarms = new Map()));
      const feeder = this.tracks.get(f.meter)?.win;
      const subs = f.subMeters.map((m) => this.tracks.get(m)?.win);
      for (const [i, rule] of this.balanceRules) this.step(out, alarms, i, rule, f.meter, judgeBalance(rule, feeder, subs, windowMs, this.config), from, now, f.subMeters);
    }
    for (const t of this.tracks.values()) t.win.reset();
    return out;
  }

  /** Close the local day at `now` (the caller calls it at local midnight): the day rules, then the baselines. */
  closeDay(now: number): AnomalyChange[] {
    const from = this.dayStart;
    const dayMs = now - from;
    this.dayStart = now;
    const out: AnomalyChange[] = [];
    const weekday = new Date(from + offsetPiece(from, this.zone).offset + 3_600_000).getUTCDay();
    const type = weekday === 0 || weekday === 6 ? 'weekend' : 'weekday';
    for (const [meter, t] of this.tracks) {
      const d = t.day;
      const complete = d.coveredMs * 100 >= this.config.minCoveragePct * dayMs;
      const totals: DayTotals = { importWh: scaledWh(d.importWh, d, dayMs), nightWh: Array.from(d.nightWh, (wh) => scaledWh(wh, d, dayMs)) };
      const history = t.baseline[type];
      let normal = true;
      for (const [i, rule] of this.dayRules) {
        const v: Verdict = complete ? judgeDay(rule, totals, history, this.plan.night[i]!) : { state: 'unknown', detail: `readings cover ${Math.round((d.coveredMs * 100) / Math.max(1, dayMs))}% of the day` };
        this.step(out, t.alarms, i, rule, meter, v, from, now);
        if (v.state === 'raise' || v.state === 'hold' || t.alarms.get(i)?.active) normal = false;
      }
      // The baseline learns only complete days every day rule found normal: a change holds its
      // alarm until use returns, and days in the hysteresis band do not drag the median along.
      if (complete && normal && this.baselineKeep > 0) {
        history.push(totals);
        if (history.length > this.baselineKeep) history.shift();
      }
      d.reset();
    }
    return out;
  }

  private step(out: AnomalyChange[], alarms: Map<number, AlarmState>, i: number, rule: AnomalyRule, meter: string, v: Verdict, from: number, to: number, subMeters?: string[]): void {
    let s = alarms.get(i);
    if (!s) {
      if (v.state !== 'raise') return; // the common case: nothing to remember
      alarms.set(i, (s = idleAlarm()));
    }
    const since = s.since;
    const change = stepAlarm(s, v, rule, to);
    if (!change || v.state === 'unknown') return;
    out.push({
      change,
      meter,
      rule: rule.id,
      kind: rule.kind,
      severity: rule.severity,
      value: v.value,
      threshold: v.threshold,
      detail: v.detail,
      from,
      to,
      ...(change === 'cleared' && since !== null ? { since } : {}),
      ...(subMeters ? { subMeters } : {}),
    });
  }

  /** What survives a restart: alarms up (or on a streak) and the baselines, keyed by rule id. */
  snapshot(): EngineSnapshot {
    const alarms: EngineSnapshot['alarms'] = [];
    const put = (meter: string, m: Map<number, AlarmState>): void => {
      for (const [i, a] of m) if (a.active || a.streak > 0) alarms.push({ meter, rule: this.config.rules[i]!.id, ...a });
    };
    const baselines: EngineSnapshot['baselines'] = {};
    for (const [meter, t] of this.tracks) {
      put(meter, t.alarms);
      if (t.baseline.weekday.length || t.baseline.weekend.length) baselines[meter] = t.baseline;
    }
    for (const [meter, m] of this.balanceAlarms) put(meter, m);
    return { version: 1, alarms, baselines };
  }

  /** Take a snapshot back (rules that no longer exist are dropped); call before the first reading. */
  restore(snap: EngineSnapshot): void {
    if (snap.version !== 1) return;
    const index = new Map(this.config.rules.map((r, i) => [r.id, i]));
    const balance = new Set(this.config.feeders.map((f) => f.meter));
    for (const a of snap.alarms) {
      const i = index.get(a.rule);
      if (i === undefined) continue;
      const state: AlarmState = { active: a.active, streak: a.streak, since: a.since };
      if (this.config.rules[i]!.kind === 'energy-balance') {
        if (!balance.has(a.meter)) continue;
        let m = this.balanceAlarms.get(a.meter);
        if (!m) this.balanceAlarms.set(a.meter, (m = new Map()));
        m.set(i, state);
      } else this.track(a.meter).alarms.set(i, state);
    }
    for (const [meter, b] of Object.entries(snap.baselines)) {
      const keep = (xs: DayTotals[]): DayTotals[] => xs.filter((d) => d.nightWh.length === this.plan.nights.length).slice(-this.baselineKeep);
      this.track(meter).baseline = { weekday: keep(b.weekday), weekend: keep(b.weekend) };
    }
  }

  /** Restore a meter's baseline of complete, normal days (oldest first) for both day types, e.g. kept across a restart. */
  seedBaseline(meter: string, days: readonly DayTotals[]): void {
    const t = this.track(meter);
    const copy = (): DayTotals[] => days.slice(-this.baselineKeep).map((d) => ({ importWh: d.importWh, nightWh: [...d.nightWh] }));
    t.baseline = { weekday: copy(), weekend: copy() };
  }

  /** Night windows of the rule set, in the order DayTotals.nightWh lists them. */
  get nightWindows(): number {
    return this.plan.nights.length;
  }

  /** Alarms up now. */
  active(): ActiveAlarm[] {
    const out: ActiveAlarm[] = [];
    const add = (meter: string, alarms: Map<number, AlarmState>): void => {
      for (const [i, s] of alarms) if (s.active) out.push({ meter, rule: this.config.rules[i]!.id, kind: this.config.rules[i]!.kind, since: s.since! });
    };
    for (const [meter, t] of this.tracks) add(meter, t.alarms);
    for (const [meter, a] of this.balanceAlarms) add(meter, a);
    return out;
  }
}
