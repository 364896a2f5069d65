/**
 * Keeps the meters' clocks on the gateway's: at start, every `intervalMs`, and at once after the
 * gateway's own clock stepped (NTP sync after a boot without RTC). Each prepaid meter's clock is read
 * first, so its drift is measured and reported (event `meter-clock`, `drifts()`); it is set when it
 * is off by more than `maxDriftMs` or after a step; DL/T 645 lines get the broadcast time sync. A
 * wall clock before `notBeforeMs` is not trusted: nothing is set until it is plausible. A meter that
 * could not be reached is tried again at the next check.
 */
import { every, type Clock } from '@prepaid-edge/protocols';
import { clockStep, clockSyncDue, meterClockDrift, wallClockPlausible, type ClockDrift, type ClockLook, type ClockSyncCause } from '../../core/meter-clock/index.js';
import type { NewEvent } from '../../core/model.js';
import type { MeterClocksConfig } from '../../core/config/gateway-config.js';
import type { Logger } from '../log.js';
import type { MeterClockPort } from './meter-clock-port.js';

export interface MeterClockKeeperDeps {
  clock: Clock;
  log: Logger;
  event: (e: NewEvent) => void;
  ports: MeterClockPort[];
  config: MeterClocksConfig;
}

/** The last look at one meter's clock. */
export interface MeterClockState extends Partial<ClockDrift> {
  meter?: string;
  bus: string;
  kind: MeterClockPort['kind'];
  /** Gateway wall time of the last look. */
  at: number;
  /** Set at that look. */
  set: boolean;
  error?: string;
}

export class MeterClockKeeper {
  private last: ClockLook | undefined;
  private lastSyncMono: number | undefined;
  private readonly failed = new Set<MeterClockPort>();
  private readonly states = new Map<MeterClockPort, MeterClockState>();
  private stopTimer: (() => void) | undefined;
  private running: Promise<void> = Promise.resolve();
  private warnedImplausible = false;

  constructor(private readonly deps: MeterClockKeeperDeps) {}

  start(): void {
    this.check();
    this.stopTimer = every(this.deps.clock, this.deps.config.checkMs, () => this.check(), { unref: true });
  }

  async stop(): Promise<void> {
    this.stopTimer?.();
    this.stopTimer = undefined;
    await this.running;
  }

  /** The last look at every meter clock (status, console, metrics). */
  drifts(): MeterClockState[] {
    return [...this.states.values()];
  }

  /** One check: has the gateway's clock stepped, is a sync due, are meters to retry. Exposed for tests. */
  check(): Promise<void> {
    this.running = this.running.then(() => this.checkOnce()).catch((e: unknown) => this.deps.log.error({ err: (e as Error).message }, 'meter clock check failed'));
    return this.running;
  }

  private async checkOnce(): Promise<void> {
    const { clock, config } = this.deps;
    const look = { wall: clock.now(), mono: clock.monotonic() };
    const step = this.last ? clockStep(this.last, look, config.stepToleranceMs) : 0;
    this.last = look;
    if (step !== 0) {
      this.deps.log.warn({ stepMs: step }, 'gateway clock stepped');
      this.deps.event({ ts: look.wall, type: 'gateway-clock-step', data: { stepMs: step } });
    }
    const cause = clockSyncDue({ lastSyncMono: this.lastSyncMono, intervalMs: config.intervalMs }, look.mono, step);
    if (!cause && this.failed.size === 0) return;
    if (!wallClockPlausible(look.wall, Date.parse(config.notBefore))) {
      if (!this.warnedImplausible) this.deps.log.warn({ now: look.wall, notBefore: config.notBefore }, 'gateway clock before notBefore: meter clocks left alone until it is set');
      this.warnedImplausible = true;
      return;
    }
    this.warnedImplausible = false;
    const ports = cause ? this.deps.ports : [...this.failed];
    if (cause) this.lastSyncMono = look.mono;
    for (const p of ports) await this.visit(p, cause ?? 'retry');
  }

  private async visit(p: MeterClockPort, cause: ClockSyncCause | 'retry'): Promise<void> {
    const { clock, config, log } = this.deps;
    const where = { ...(p.meter ? { meter: p.meter } : {}), bus: p.bus };
    try {
      let drift: ClockDrift | undefined;
      if (p.read) {
        const r = await p.read();
        drift = meterClockDrift(r.seconds, r.sentAt, r.receivedAt);
      }
      const mustSet = !p.measureOnly && (!drift || cause === 'clock-step' || Math.abs(drift.driftMs) - drift.uncertaintyMs > config.maxDriftMs);
      const setTo = mustSet ? await p.set() : undefined;
      this.failed.delete(p);
      const state: MeterClockState = { ...where, kind: p.kind, at: clock.now(), set: mustSet, ...(drift ?? {}) };
      this.states.set(p, state);
      this.deps.event({
        ts: clock.now(),
        type: 'meter-clock',
        ...(p.meter ? { meter: p.meter } : {}),
        data: { bus: p.bus, kind: p.kind, cause, driftMs: drift?.driftMs ?? null, uncertaintyMs: drift?.uncertaintyMs ?? null, set: mustSet, ...(setTo !== undefined ? { setTo } : {}) },
      });
    } catch (e) {
      const err = e as Error & { code?: string };
      this.failed.add(p);
      this.states.set(p, { ...where, kind: p.kind, at: clock.now(), set: false, error: err.code ?? err.message });
      log.warn({ ...where, code: err.code, err: err.message, cause }, 'meter clock not read or set; tried again at the next check');
    }
  }
}
