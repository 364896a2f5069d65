/**
 * Early warning of abnormal use, wired to the gateway: every stored reading goes into the pure
 * engine (core/anomaly); every `passSeconds` the window rules are judged, and at the first pass of
 * a new local day the day rules; each alarm raised or cleared becomes one event (`anomaly`,
 * `anomaly-cleared`, docs/mqtt.md), stored in the outbox like every event.
 */
import { every, type Clock } from '@prepaid-edge/protocols';
import type { NewEvent, NewReading } from '../../core/model.js';
import { AnomalyEngine, type ActiveAlarm, type AnomalyChange, type AnomalyConfig } from '../../core/anomaly/index.js';
import { localDate } from '../../core/tariff/local-time.js';
import type { Logger } from '../log.js';
import { readAnomalyState, writeAnomalyState } from './state-file.js';

export interface AnomalyWatchDeps {
  config: AnomalyConfig;
  /** IANA zone of the gateway: local days and night windows. */
  zone: string;
  clock: Clock;
  log: Logger;
  event: (e: NewEvent) => void;
  /** Where the engine's memory survives restarts (state-file.ts); absent: in memory only. */
  stateFile?: string;
}

/** The event one change becomes. */
export function anomalyEvent(c: AnomalyChange): NewEvent {
  const data: Record<string, unknown> = { rule: c.rule, kind: c.kind, severity: c.severity, value: c.value, threshold: c.threshold, detail: c.detail, from: c.from, to: c.to };
  if (c.since !== undefined) data.since = c.since;
  if (c.subMeters) data.subMeters = c.subMeters;
  return { ts: c.to, type: c.change === 'raised' ? 'anomaly' : 'anomaly-cleared', meter: c.meter, data };
}

export class AnomalyWatch {
  readonly engine: AnomalyEngine;
  private date: string;
  private stopTimer: (() => void) | undefined;

  constructor(private readonly deps: AnomalyWatchDeps) {
    const now = deps.clock.now();
    this.engine = new AnomalyEngine(deps.config, deps.zone, now);
    this.date = localDate(now, deps.zone);
    const kept = deps.stateFile ? readAnomalyState(deps.stateFile) : undefined;
    if (kept) this.engine.restore(kept);
  }

  start(): void {
    this.stopTimer ??= every(this.deps.clock, this.deps.config.passSeconds * 1000, () => this.pass(), { unref: true });
  }

  stop(): void {
    this.stopTimer?.();
    this.stopTimer = undefined;
  }

  onReading(r: NewReading): void {
    this.engine.observe(r.meter, r.ts, r.values);
  }

  /** Judge the window that ends now (and the day, when the local date changed). Returns the changes. */
  pass(now = this.deps.clock.now()): AnomalyChange[] {
    const changes = this.engine.closeWindow(now);
    const date = localDate(now, this.deps.zone);
    if (date !== this.date) {
      this.date = date;
      changes.push(...this.engine.closeDay(now));
    }
    for (const c of changes) {
      this.deps.log.warn({ meter: c.meter, rule: c.rule, change: c.change, value: c.value, detail: c.detail }, 'abnormal use');
      this.deps.event(anomalyEvent(c));
    }
    if (this.deps.stateFile) {
      try {
        writeAnomalyState(this.deps.stateFile, this.engine.snapshot());
      } catch (e) {
        this.deps.log.error({ file: this.deps.stateFile, err: (e as Error).message }, 'could not keep the anomaly state');
      }
    }
    return changes;
  }

  active(): ActiveAlarm[] {
    return this.engine.active();
  }
}
