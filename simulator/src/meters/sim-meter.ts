/**
 * One simulated meter: true physics, the faults it is showing, and the protocol face it answers
 * with. Subclasses supply the face (Modbus register map or DL/T 645 data identifiers).
 */
import { createRng, type Rng } from '../physics/random.js';
import { MeterPhysics, type PhysicsOptions, type PhysicsSnapshot } from '../physics/meter-physics.js';
import type { LoadSpec } from '../physics/load-profiles.js';
import { decideReplyFaults, isActive, type FaultSpec, type ReplyFaultDecision } from '../faults.js';
import type { Clock } from '@prepaid-edge/protocols';

export interface LineSettings {
  baudRate: number;
  parity: 'none' | 'even' | 'odd';
}

export interface SimMeterOptions extends Omit<PhysicsOptions, 'startMs'> {
  id: string;
  clock: Clock;
  /** Simulation start (epoch ms): fault windows count from here. */
  simStartMs: number;
  faults?: FaultSpec[];
  /** The meter's own serial settings; undefined = answers at whatever the bus runs. */
  line?: LineSettings;
}

export interface TrueState {
  id: string;
  unit: number;
  profile: string;
  atMs: number;
  meterClockMs: number;
  relayClosed: boolean;
  powered: boolean;
  bypass: boolean;
  tamperLatched: boolean;
  load: LoadSpec;
  faults: FaultSpec[];
  snapshot: PhysicsSnapshot;
  requests: number;
}

export abstract class SimMeter {
  readonly id: string;
  readonly unit: number;
  readonly physics: MeterPhysics;
  readonly line: LineSettings | undefined;
  protected readonly clock: Clock;
  protected readonly simStartMs: number;
  private readonly faultRng: Rng;
  faults: FaultSpec[];
  tamperLatched = false;
  requests = 0;
  private lastSyncMs: number;
  private readonly resetsDone = new WeakSet<FaultSpec>();

  abstract readonly profileId: string;
  abstract readonly protocol: 'modbus' | 'dlt645';

  constructor(opts: SimMeterOptions) {
    this.id = opts.id;
    this.unit = opts.unit;
    this.clock = opts.clock;
    this.simStartMs = opts.simStartMs;
    this.line = opts.line;
    this.faults = [...(opts.faults ?? [])];
    this.faultRng = createRng(opts.seed, 'faults', opts.unit);
    this.lastSyncMs = opts.simStartMs;
    this.physics = new MeterPhysics({ ...opts, startMs: opts.simStartMs });
  }

  /**
   * Bring physics and state faults up to simulated `now`. Fault window edges are applied at the
   * exact simulated instant they fall on, so results never depend on when the meter was polled.
   */
  sync(now = this.clock.now()): void {
    if (now < this.lastSyncMs) return;
    if (this.faults.length === 0) {
      // the common case, once per request: no fault edges to collect
      this.physics.advanceTo(now);
      this.applyStateFaults(now);
      this.lastSyncMs = now;
      return;
    }
    const edges: number[] = [];
    for (const f of this.faults) {
      for (const e of [f.from, f.until]) {
        if (e === undefined) continue;
        const at = this.simStartMs + e;
        if (at > this.lastSyncMs && at <= now) edges.push(at);
      }
    }
    edges.sort((a, b) => a - b);
    for (const at of edges) {
      this.physics.advanceTo(at);
      this.applyStateFaults(at);
    }
    this.physics.advanceTo(now);
    this.applyStateFaults(now);
    this.lastSyncMs = now;
  }

  private applyStateFaults(at: number): void {
    const since = at - this.simStartMs;
    let powerLoss = false;
    let bypass = false;
    let metered = 1;
    let lostPhase: number | null = null;
    let voltageFactor = 1;
    for (const f of this.faults) {
      if (!isActive(f, since)) continue;
      if (f.type === 'powerLoss') powerLoss = true;
      if (f.type === 'bypass') bypass = true;
      if (f.type === 'slowMeter') metered *= f.factor ?? 0.8;
      if (f.type === 'tap') metered *= 1 - (f.fraction ?? 1);
      if (f.type === 'phaseLoss') lostPhase = (f.phase ?? 3) - 1;
      if (f.type === 'voltageSag') voltageFactor = (f.voltagePct ?? 80) / 100;
      if (f.type === 'coverOpen') this.tamperLatched = true;
      if (f.type === 'counterReset' && !this.resetsDone.has(f)) {
        this.resetsDone.add(f);
        this.physics.resetCounters(at, f.toWh ?? 0);
      }
    }
    this.physics.powered = !powerLoss;
    this.physics.bypass = bypass;
    this.physics.meteredFraction = metered;
    this.physics.lostPhase = lostPhase;
    this.physics.voltageFactor = voltageFactor;
  }

  /** What a master's clock setting added to the meter's clock, ms. */
  private clockSetMs = 0;

  /** The meter's own clock, drifting when a clockDrift fault is active, as last set by a master. */
  meterClock(now = this.clock.now()): number {
    let drift = 0;
    for (const f of this.faults) if (f.type === 'clockDrift') drift += ((now - this.simStartMs) * (f.driftPpm ?? 0)) / 1e6;
    return Math.round(now + drift + this.clockSetMs);
  }

  /** A master set the meter's clock to `utcMs` (DL/T 645 broadcast time sync); the drift goes on from there. */
  setMeterClock(utcMs: number, now = this.clock.now()): void {
    this.clockSetMs += utcMs - this.meterClock(now);
  }

  get powered(): boolean {
    return this.physics.powered;
  }

  /** Decide reply faults for one request. */
  replyFaults(now = this.clock.now()): ReplyFaultDecision {
    return decideReplyFaults(this.faults, now - this.simStartMs, this.faultRng);
  }

  addFault(f: FaultSpec): void {
    this.sync();
    this.faults.push(f);
    this.sync();
  }

  clearFaults(): void {
    this.sync();
    this.faults = [];
    this.sync();
  }

  setLoad(spec: LoadSpec): void {
    this.physics.setLoad(spec, this.clock.now());
  }

  setRelay(closed: boolean): void {
    this.sync();
    this.physics.relayClosed = closed;
  }

  clearTamper(): void {
    this.tamperLatched = false;
  }

  trueState(now = this.clock.now()): TrueState {
    this.sync(now);
    return {
      id: this.id,
      unit: this.unit,
      profile: this.profileId,
      atMs: now,
      meterClockMs: this.meterClock(now),
      relayClosed: this.physics.relayClosed,
      powered: this.physics.powered,
      bypass: this.physics.bypass,
      tamperLatched: this.tamperLatched,
      load: this.physics.loadSpec,
      faults: [...this.faults],
      snapshot: this.physics.snapshot(now),
      requests: this.requests,
    };
  }
}
