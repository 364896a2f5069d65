/**
 * The prepaid meter's logic as a passive state machine: inputs in (pulses, gateway writes, keypad,
 * switches), state and events out, time from an injected clock. No I/O and no timers: the firmware
 * around it persists the state after each input (checkpoint()) and drives the hardware from it.
 */
import { addPulse, moduleIncrement } from './energy.js';
import { creditFlags, localCreditWh } from './credit.js';
import { PowerEstimator } from './power-estimate.js';
import {
  backupDisconnect,
  localTestClose,
  localTestOpen,
  manualReconnect,
  rearmAfterTopUp,
  remoteCommand,
  type RelayStep,
} from './relay-machine.js';
import { evaluateToken, type TokenOutcome } from './token.js';
import type { Clock } from '@prepaid-edge/protocols';
import type { CoreConfig } from './core-config.js';
import { EVENT, RELAY, STATUS, type LineSettings, type MeterEvent, type MeterState, type Settings } from './types.js';

export type Outcome = { ok: true } | { ok: false; reason: string };

export interface ModuleReading {
  voltage: number;
  current: number;
  power: number;
  powerFactor: number;
  frequency: number;
  /** The module's own energy register, Wh (used when the energy source is 'module'). */
  energyWh?: number;
}

/** What the meter measures now; null = not measured (no metering module answering: S0 pulses only). */
export interface Measurements {
  voltage: number | null;
  current: number | null;
  power: number;
  powerFactor: number | null;
  frequency: number | null;
}

export type HoldingName = keyof Settings | 'clock' | 'tokenCreditBooked';

export interface HoldingWrite {
  name: HoldingName;
  /** Holding address, the eventValue of "setting changed". */
  address: number;
  value: number;
}

export interface CoreOptions {
  config: CoreConfig;
  clock: Clock;
  /** Wall clock, Unix ms (the meter clock is this plus the offset set over Modbus). Default: clock. */
  rtc?: () => number;
  energySource?: 's0' | 'module';
  onEvent?: (e: MeterEvent) => void;
}

/** Holding address of backupDisconnectThreshold: tokens change it, and log it like a gateway write. */
export const THRESHOLD_ADDRESS = 8;
const NOMINAL_VOLTAGE = 230;
const I32_MAX = 2 ** 31 - 1;

const clampI32 = (v: number): number => Math.max(-I32_MAX - 1, Math.min(I32_MAX, Math.trunc(v)));

export class MeterCore {
  /** Bumped whenever anything but the energy counters changes (the persistence layer caches the rest). */
  coldVersion = 0;
  private dirty = false;
  private readonly cfg: CoreConfig;
  private readonly clock: Clock;
  private readonly rtc: () => number;
  private readonly source: 's0' | 'module';
  private readonly onEvent: ((e: MeterEvent) => void) | undefined;
  private readonly power: PowerEstimator;
  private lastGatewayAt: number;
  private module: { r: ModuleReading; at: number } | undefined;
  private openSince: number;
  private bypassPulses = 0;
  private sensed: boolean | undefined;

  constructor(
    readonly state: MeterState,
    opts: CoreOptions,
  ) {
    this.cfg = opts.config;
    this.clock = opts.clock;
    this.rtc = opts.rtc ?? (() => opts.clock.now());
    this.source = opts.energySource ?? 's0';
    this.onEvent = opts.onEvent;
    this.power = new PowerEstimator(opts.config.impulsesPerKwh);
    this.lastGatewayAt = this.clock.monotonic();
    this.openSince = this.clock.monotonic();
  }

  // ---- derived values -------------------------------------------------------------------------

  meterTimeMs(): number {
    return this.rtc() + this.state.clock.offsetMs;
  }

  /** Intended contact state: closed only when connected. */
  get relayIntendedClosed(): boolean {
    return this.state.relay.state === RELAY.CONNECTED;
  }

  /** Relay readback: the feedback contact when one is wired, else the intended state. */
  get relayReadback(): boolean {
    return this.sensed ?? this.relayIntendedClosed;
  }

  get mapRevision(): 1 | 2 {
    return this.cfg.mapRevision ?? 1;
  }

  /** Map revision 2: keypad token credit not yet taken over by the gateway, Wh (0 on revision 1). */
  get tokenCreditUnbooked(): number {
    const tc = this.state.tokenCredit;
    return tc ? tc.totalWh - tc.bookedWh : 0;
  }

  /** energyImport at which the meter opens its relay by itself: the backup threshold plus its own token credit; 0 = off. */
  get disconnectAtWh(): number {
    const t = this.state.settings.backupDisconnectThreshold;
    return t === 0 ? 0 : t + this.tokenCreditUnbooked;
  }

  get thresholdReached(): boolean {
    const t = this.disconnectAtWh;
    return t !== 0 && this.state.energy.importWh >= t;
  }

  /** Token credit left, Wh; undefined while the backup threshold is off. */
  get localCreditWh(): number | undefined {
    return localCreditWh(this.disconnectAtWh, this.state.energy.importWh);
  }

  get localCreditLow(): boolean {
    const left = this.localCreditWh;
    return left !== undefined && left <= this.cfg.localLowCreditWh;
  }

  get standalone(): boolean {
    return this.state.standaloneSince !== 0;
  }

  status(): number {
    const s = this.state;
    let bits = s.latched | s.creditFlags;
    if (this.relayReadback) bits |= STATUS.RELAY_CLOSED;
    if (s.relay.state === RELAY.READY) bits |= STATUS.READY_FOR_RECONNECTION;
    if (s.standaloneSince !== 0) bits |= STATUS.STANDALONE;
    if (s.emergencyInUse) bits |= STATUS.EMERGENCY_CREDIT;
    return bits;
  }

  measurements(): Measurements {
    const now = this.clock.monotonic();
    const m = this.module && now - this.module.at <= this.cfg.moduleStaleMs ? this.module.r : undefined;
    if (m) return { voltage: m.voltage, current: m.current, power: Math.round(m.power), powerFactor: m.powerFactor, frequency: m.frequency };
    const power = this.source === 's0' ? this.power.watts(now) : 0;
    return { voltage: null, current: null, power, powerFactor: null, frequency: null };
  }

  /** True (once) when state changed since the last checkpoint; stamps the save time. */
  checkpoint(): boolean {
    if (!this.dirty) return false;
    this.dirty = false;
    this.state.energy.savedAt = this.meterTimeMs();
    return true;
  }

  /** Heartbeat: save again so a power-down is stamped close to the real time of loss. */
  markDirty(): void {
    this.dirty = true;
  }

  // ---- inputs -------------------------------------------------------------------------------

  /** Boot: logs power down (at the last save) and power up. */
  powerUp(restored: boolean): void {
    if (restored) this.log(EVENT.POWER_DOWN, 0, this.state.energy.savedAt || this.meterTimeMs());
    this.log(EVENT.POWER_UP, 0);
    this.evaluateCredit();
    this.enforceBackup();
  }

  /** One accepted S0 pulse (active edge) at clock.monotonic(). */
  pulse(): void {
    const now = this.clock.monotonic();
    this.power.pulse(now);
    if (this.source === 's0') {
      const e = this.state.energy;
      const t = addPulse(e.importWh, e.residue, this.cfg.impulsesPerKwh);
      e.importWh = t.wh;
      e.residue = t.residue;
      this.dirty = true;
    }
    if (this.state.relay.state !== RELAY.CONNECTED && now - this.openSince >= this.cfg.bypassGraceMs) {
      this.bypassPulses++;
      if (this.bypassPulses >= 2) this.latch(STATUS.BYPASS, EVENT.BYPASS, Math.round((this.power.watts(now) / NOMINAL_VOLTAGE) * 1000));
    }
    this.enforceBackup();
  }

  /** A reading from a metering module. */
  moduleReading(r: ModuleReading): void {
    const now = this.clock.monotonic();
    this.module = { r, at: now };
    if (this.source === 'module' && r.energyWh !== undefined) {
      const e = this.state.energy;
      const inc = moduleIncrement(e.moduleWh, r.energyWh);
      if (e.moduleWh !== r.energyWh) {
        e.moduleWh = r.energyWh;
        e.importWh += inc;
        this.dirty = true;
      }
    }
    if (this.state.relay.state !== RELAY.CONNECTED && now - this.openSince >= this.cfg.bypassGraceMs && r.current >= 0.05)
      this.latch(STATUS.BYPASS, EVENT.BYPASS, Math.round(r.current * 1000));
    this.enforceBackup();
  }

  /** The relay's feedback contact (when wired). */
  relaySensed(closed: boolean): void {
    this.sensed = closed;
  }

  remoteRelay(close: boolean): Outcome {
    return this.apply(remoteCommand(this.state.relay, close, this.state.settings.reconnectMode === 1, this.thresholdReached));
  }

  button(): Outcome {
    return this.apply(manualReconnect(this.state.relay));
  }

  relayTestOpen(): Outcome {
    return this.apply(localTestOpen(this.state.relay));
  }

  relayTestClose(): Outcome {
    return this.apply(localTestClose(this.state.relay, this.thresholdReached));
  }

  /** Holding register writes, already range-checked; applied together. */
  writeHolding(writes: readonly HoldingWrite[]): Outcome {
    for (const w of writes) {
      if (w.name === 'clock') {
        const before = Math.floor(this.meterTimeMs() / 1000);
        this.state.clock.offsetMs = w.value * 1000 - this.rtc();
        this.state.clock.set = true;
        this.touch();
        this.log(EVENT.CLOCK_SET, w.value - before);
        continue;
      }
      if (w.name === 'tokenCreditBooked') {
        const tc = (this.state.tokenCredit ??= { totalWh: 0, bookedWh: 0 });
        if (w.value > tc.totalWh) return { ok: false, reason: `tokenCreditBooked ${w.value} above tokenCreditTotal ${tc.totalWh}` };
        if (tc.bookedWh === w.value) continue;
        tc.bookedWh = w.value;
        this.touch();
        this.log(EVENT.SETTING_CHANGED, w.address);
        continue;
      }
      const s = this.state.settings;
      if (s[w.name] === w.value) continue;
      (s as unknown as Record<string, number>)[w.name] = w.value;
      this.touch();
      if (w.name !== 'creditBalance') this.log(EVENT.SETTING_CHANGED, w.address);
    }
    this.evaluateCredit();
    this.enforceBackup();
    return { ok: true };
  }

  requestEmergencyCredit(): Outcome {
    const s = this.state;
    if (!(s.creditFlags & STATUS.LOW_CREDIT)) return { ok: false, reason: 'not in low credit' };
    if (s.emergencyInUse) return { ok: false, reason: 'emergency credit already in use' };
    if (s.settings.emergencyCreditLimit <= 0) {
      // The gateway keeps emergency credit (it writes the local limit as 0): pass the request on.
      this.log(EVENT.EMERGENCY_REQUESTED, 0);
      return { ok: false, reason: 'requested from the gateway' };
    }
    s.emergencyInUse = true;
    this.touch();
    this.log(EVENT.EMERGENCY_CREDIT, s.settings.emergencyCreditLimit);
    this.evaluateCredit();
    return { ok: true };
  }

  clearTamper(): void {
    const bits = this.state.latched;
    if (bits === 0) return;
    this.state.latched = 0;
    this.bypassPulses = 0;
    this.touch();
    this.log(EVENT.TAMPER_CLEARED, bits);
  }

  coverOpened(): void {
    this.latch(STATUS.COVER_TAMPER, EVENT.COVER_OPENED, 0);
  }

  magneticField(): void {
    this.latch(STATUS.MAGNETIC_TAMPER, EVENT.MAGNETIC_FIELD, 0);
  }

  enterToken(text: string): TokenOutcome {
    const s = this.state;
    const rev2 = this.mapRevision >= 2;
    // Revision 2 keeps token credit apart: the token is priced against the disconnect point (threshold + own credit).
    const out = evaluateToken(text, {
      decoderKey: this.cfg.sts.decoderKey,
      baseDate: this.cfg.sts.baseDate,
      tids: s.tids,
      importWh: s.energy.importWh,
      thresholdWh: rev2 ? this.disconnectAtWh : s.settings.backupDisconnectThreshold,
    });
    if (!out.ok || out.kind === 'test') return out;
    s.tids = out.tids;
    this.touch();
    if (out.kind === 'clearTamper') this.clearTamper();
    else if (rev2) {
      this.tokenCredit(out);
      if (out.kind === 'credit' && !this.thresholdReached) this.apply(rearmAfterTopUp(s.relay));
      this.enforceBackup();
    } else {
      this.setThreshold(out.thresholdWh);
      if (out.kind === 'credit' && !this.thresholdReached) this.apply(rearmAfterTopUp(s.relay));
      this.enforceBackup();
    }
    return out;
  }

  /** Any valid Modbus request addressed to this meter. */
  gatewayRequest(): void {
    this.evaluateWatchdog();
    this.lastGatewayAt = this.clock.monotonic();
    if (this.state.standaloneSince !== 0) {
      const seconds = Math.round((this.meterTimeMs() - this.state.standaloneSince) / 1000);
      this.state.standaloneSince = 0;
      this.touch();
      this.log(EVENT.STANDALONE_LEFT, seconds);
    }
  }

  setLine(line: LineSettings): void {
    this.state.line = { ...line };
    this.touch();
  }

  /** Time passed: watchdog. */
  tick(): void {
    this.evaluateWatchdog();
  }

  // ---- internals ------------------------------------------------------------------------------

  private touch(): void {
    this.coldVersion++;
    this.dirty = true;
  }

  private log(type: number, value: number, atMeterMs = this.meterTimeMs()): void {
    const ev = this.state.events;
    const e: MeterEvent = { seq: ++ev.counter, type, ts: this.state.clock.set ? Math.max(0, Math.floor(atMeterMs / 1000)) : 0, value: clampI32(value) };
    ev.log.push(e);
    if (ev.log.length > this.cfg.eventLogCapacity) ev.log.splice(0, ev.log.length - this.cfg.eventLogCapacity);
    this.touch();
    this.onEvent?.(e);
  }

  private latch(bit: number, type: number, value: number): void {
    if (this.state.latched & bit) return;
    this.state.latched |= bit;
    this.touch();
    this.log(type, value);
  }

  private apply(step: RelayStep): Outcome {
    if (!step.ok) return step;
    const wasConnected = this.state.relay.state === RELAY.CONNECTED;
    this.state.relay = { ...step.next };
    if (wasConnected && step.next.state !== RELAY.CONNECTED) {
      this.openSince = this.clock.monotonic();
      this.bypassPulses = 0;
    }
    this.touch();
    if (step.event) this.log(step.event.type, step.event.value);
    return { ok: true };
  }

  /**
   * Revision 2: a credit token adds its Wh to the meter's own token credit (logged as event 19, the
   * gateway books it by that event's seq); with the backup threshold off or reached, the threshold is
   * moved so that the disconnect point is the present energy plus the token. A clear-credit token drops the
   * meter's own credit (tokenCreditBooked := total) and puts the threshold at the present energy.
   */
  private tokenCredit(out: Extract<TokenOutcome, { kind: 'credit' | 'clearCredit' }>): void {
    const tc = (this.state.tokenCredit ??= { totalWh: 0, bookedWh: 0 });
    const s = this.state.settings;
    if (out.kind === 'credit') {
      // Off, or reached: the token counts from the present energy (threshold + own credit = now + token).
      if (s.backupDisconnectThreshold === 0 || this.thresholdReached) this.setThreshold(Math.max(1, this.state.energy.importWh - this.tokenCreditUnbooked));
      tc.totalWh += out.wh;
      this.touch();
      this.log(EVENT.TOKEN_CREDIT, out.wh);
      return;
    }
    tc.bookedWh = tc.totalWh;
    if (s.backupDisconnectThreshold !== 0) this.setThreshold(Math.max(1, this.state.energy.importWh));
    this.touch();
  }

  private setThreshold(wh: number): void {
    if (this.state.settings.backupDisconnectThreshold === wh) return;
    this.state.settings.backupDisconnectThreshold = wh;
    this.touch();
    this.log(EVENT.SETTING_CHANGED, THRESHOLD_ADDRESS);
  }

  private enforceBackup(): void {
    if (this.thresholdReached && this.state.relay.state !== RELAY.DISCONNECTED) this.apply(backupDisconnect(this.state.relay));
  }

  private evaluateCredit(): void {
    const s = this.state;
    let flags = creditFlags(s.settings, s.emergencyInUse);
    if (s.emergencyInUse && !(flags & STATUS.LOW_CREDIT)) {
      s.emergencyInUse = false; // repaid: the balance is out of low credit again
      this.touch();
      flags = creditFlags(s.settings, false);
    }
    const rising = flags & ~s.creditFlags;
    if (flags !== s.creditFlags) {
      s.creditFlags = flags;
      this.touch();
    }
    const bal = s.settings.creditBalance;
    if (rising & STATUS.LOW_CREDIT) this.log(EVENT.LOW_CREDIT_1, bal);
    if (rising & STATUS.LOW_CREDIT_2) this.log(EVENT.LOW_CREDIT_2, bal);
    if (rising & STATUS.CREDIT_EXHAUSTED) this.log(EVENT.CREDIT_EXHAUSTED, bal);
  }

  private evaluateWatchdog(): void {
    if (this.state.standaloneSince !== 0) return;
    const now = this.clock.monotonic();
    const due = this.lastGatewayAt + this.cfg.gatewayWatchdogMs;
    if (now < due) return;
    const enteredAt = this.meterTimeMs() - (now - due);
    this.state.standaloneSince = Math.max(1, enteredAt);
    this.touch();
    this.log(EVENT.STANDALONE_ENTERED, 0, enteredAt);
  }
}
