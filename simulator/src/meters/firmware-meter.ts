/**
 * A `prepaid` meter that is the real firmware (firmware-ts) on a virtual board. The simulator is
 * the world around the board: its load physics drive the S0 pulse input (each pulse at the exact
 * simulated instant the energy crosses the next 1/impulsesPerKwh kWh), the relay contact on the
 * board switches the physics' supply, a PZEM-004T on the board's serial port measures voltage,
 * current and frequency from the physics, state faults become inputs (cover switch, power cut:
 * the firmware stops and boots again from its persisted state), and the bus hands Modbus PDUs to
 * the firmware's own slave.
 *
 * The firmware's clock is a stepped clock this meter moves through simulated time, so debounce,
 * watchdog and event stamps follow simulated time exactly, however fast the simulation runs.
 */
import { encodeException, encodeRequest, EXCEPTION, loadProfile } from '@prepaid-edge/protocols';
import {
  checkFirmwareConfig,
  Firmware,
  MemorySlots,
  VirtualBoard,
  virtualPinMap,
  type FirmwareConfig,
  type PinMap,
  type PzemValues,
} from '@prepaid-edge/firmware';
import { ModbusSimMeter } from './modbus-meter.js';
import type { SimMeterOptions, TrueState } from './sim-meter.js';
import { ManualClock } from '@prepaid-edge/protocols';
import { isActive } from '../faults.js';

/** Meter number and DKGA-02 decoder key of the STS test vectors' meter (shared/vectors/sts). */
export const STS_TEST_METER = { pan: '600727000000000009', decoderKey: '6ff35b9d1f3453e6' } as const;

/** Width of a simulated S0 pulse: at 10 ms on and the firmware's 5 ms lockout, 66 pulses/s fit. */
export const S0_PULSE_MS = 10;
/** Energy of one kWh in W*ms; `impulsesPerKwh` pulses make one. */
const WMS_PER_KWH = 3_600_000_000;
/** Real-time simulations feed pulses to the boards this often (a manual clock needs no pump). */
const PUMP_MS = 100;

export interface FirmwareMeterOptions {
  impulsesPerKwh?: number;
  /** Overrides of the firmware configuration (serial number, STS key, watchdog, ...). */
  config?: Record<string, unknown>;
}

export interface FirmwareTrueState extends TrueState {
  firmware: { booted: boolean; energyImportWh: number; relayState: number; status: number; pulsesFed: number; boots: number };
}

export class FirmwareSimMeter extends ModbusSimMeter {
  readonly board: VirtualBoard;
  /** The firmware's non-volatile memory (simulated FRAM): survives power cuts, not the process. */
  readonly storage = new MemorySlots();
  readonly boardClock: ManualClock;
  readonly config: FirmwareConfig;
  readonly pinMap: PinMap;
  firmware: Firmware | undefined;
  /** Pulses given to the S0 input so far. */
  pulsesFed = 0;
  boots = 0;
  private readonly imp: number;
  private fedTo: number;
  private syncing = false;
  /** Pulses counted from this physics import (W*ms); folded forward every whole kWh. */
  private baseWms: number;
  private pulsesSinceBase = 0;
  private lastWms: number;
  private releaseAt: number | undefined;

  constructor(opts: SimMeterOptions, fw: FirmwareMeterOptions = {}) {
    super(loadProfile('prepaid'), opts);
    this.imp = fw.impulsesPerKwh ?? 1000;
    this.pinMap = virtualPinMap();
    this.boardClock = new ManualClock({ now: this.simStartMs, monotonic: this.simStartMs });
    this.fedTo = this.simStartMs;
    this.baseWms = this.physics.importWms(this.simStartMs);
    this.lastWms = this.baseWms;
    this.config = checkFirmwareConfig(
      {
        serialNumber: 10_000_000 + this.unit,
        impulsesPerKwh: this.imp,
        initialEnergyWh: this.physics.snapshot(this.simStartMs).energyImportWh,
        modbus: { unitId: Math.min(247, this.unit), baudRate: opts.line?.baudRate ?? 9600, parity: opts.line?.parity ?? 'none' },
        // The decoder key of the public STS test vectors (shared/vectors/sts), so the vectors'
        // tokens can be typed on any simulated meter's keypad.
        meterNumber: STS_TEST_METER.pan,
        sts: { decoderKey: STS_TEST_METER.decoderKey, baseDate: 1993 },
        console: { pin: '0000' },
        ...fw.config,
      },
      `simulated meter ${this.id}`,
    );
    this.board = new VirtualBoard({ pinMap: this.pinMap, meter: () => this.measure() });
    this.board.on('relay', (closed: boolean) => {
      this.physics.relayClosed = closed;
    });
    this.bootFirmware();
    if (!(this.clock instanceof ManualClock)) pump(this);
  }

  private bootFirmware(): void {
    this.boots++;
    this.firmware = Firmware.boot({
      config: this.config,
      pinMap: this.pinMap,
      io: this.board.powerOn(),
      storage: this.storage,
      clock: this.boardClock,
      rtc: () => this.meterClock(this.boardClock.now()),
      timers: false,
    });
  }

  private powerDown(): void {
    this.firmware?.stop();
    this.firmware = undefined;
    this.board.powerOff();
  }

  /** What the board's metering module measures: the physics at the board's present instant. */
  private measure(): PzemValues | undefined {
    if (!this.physics.powered) return undefined;
    const s = this.physics.snapshot(this.boardClock.now());
    return { voltage: s.voltage[0] ?? 0, current: s.current[0] ?? 0, power: Math.max(0, s.power), energyWh: s.energyImportWh, frequency: s.frequency, powerFactor: s.powerFactor };
  }

  override handlePdu(pdu: Uint8Array): Buffer {
    this.requests++;
    this.sync();
    if (!this.firmware) return encodeException(pdu[0] ?? 0, EXCEPTION.SLAVE_DEVICE_FAILURE);
    return this.firmware.handleModbusPdu(pdu);
  }

  override refresh(): void {
    this.sync();
  }

  /** The control API's relay switch: a remote command to the firmware, as the gateway gives it. */
  override setRelay(closed: boolean): void {
    this.sync();
    this.firmware?.handleModbusPdu(encodeRequest({ fc: 0x05, address: 1, value: closed }));
  }

  override clearTamper(): void {
    super.clearTamper();
    this.sync();
    this.firmware?.handleModbusPdu(encodeRequest({ fc: 0x05, address: 2, value: true }));
  }

  /** Move the board's clock to `t` (simulated ms); it never runs backwards, so an earlier `t` is ignored. */
  private stepBoard(t: number): void {
    const d = t - this.boardClock.monotonic();
    if (d > 0) this.boardClock.advance(d);
  }

  override trueState(now = this.clock.now()): FirmwareTrueState {
    const base = super.trueState(now);
    const fw = this.firmware;
    const firmware = {
      booted: fw !== undefined,
      energyImportWh: fw?.core.state.energy.importWh ?? -1,
      relayState: fw?.core.state.relay.state ?? -1,
      status: fw?.core.status() ?? 0,
      pulsesFed: this.pulsesFed,
      boots: this.boots,
    };
    return { ...base, firmware };
  }

  /**
   * Bring the world up to `now`, event by event: tick boundaries (the load changes), fault edges,
   * S0 pulse edges. Between events power is constant, so each pulse instant is exact.
   */
  override sync(now = this.clock.now()): void {
    if (this.syncing || this.board === undefined) {
      // re-entered from inside a feed, or the board is not built yet: physics only
      super.sync(now);
      return;
    }
    this.syncing = true;
    try {
      this.feedTo(now);
    } finally {
      this.syncing = false;
    }
  }

  private feedTo(now: number): void {
    let cur = this.fedTo;
    if (now < cur) return;
    for (;;) {
      super.sync(cur);
      this.applyWorld(cur);
      if (this.releaseAt !== undefined && this.releaseAt <= cur) {
        this.stepBoard(this.releaseAt);
        this.board.s0(false);
        this.releaseAt = undefined;
      }
      if (cur >= now) break;
      let limit = Math.min(now, this.nextTickAfter(cur), this.nextFaultEdgeAfter(cur));
      if (this.releaseAt !== undefined) limit = Math.min(limit, this.releaseAt);
      const tp = this.nextPulseAt(cur, limit);
      if (tp === undefined) {
        cur = limit;
        continue;
      }
      super.sync(tp);
      this.stepBoard(tp);
      if (this.firmware) {
        this.board.s0(true);
        this.releaseAt = tp + S0_PULSE_MS;
      }
      this.pulsesSinceBase++;
      this.pulsesFed++;
      if (this.pulsesSinceBase >= this.imp) {
        // fold whole kWh into the base so the integer arithmetic below stays far from 2^53
        this.pulsesSinceBase -= this.imp;
        this.baseWms += WMS_PER_KWH;
      }
      cur = tp;
    }
    this.stepBoard(now);
    this.fedTo = now;
    this.firmware?.tick();
  }

  /** When the next pulse is due in [cur, limit], or undefined. */
  private nextPulseAt(cur: number, limit: number): number | undefined {
    const wms = this.physics.importWms(cur);
    if (wms < this.lastWms) this.rebase(wms); // register reset (counterReset fault): not consumption
    this.lastWms = wms;
    // pulse n is due when (wms - base) * imp >= n * 3.6e9
    let need = (this.pulsesSinceBase + 1) * WMS_PER_KWH - (wms - this.baseWms) * this.imp;
    if (need <= -WMS_PER_KWH) {
      this.rebase(wms); // the register jumped up: not consumption either
      need = WMS_PER_KWH;
    }
    if (need <= 0) return cur;
    const p = this.physics.effectivePowerW;
    if (p <= 0) return undefined;
    const rate = p * this.imp;
    let dt = Math.ceil(need / rate);
    while (rate * dt < need) dt++;
    return cur + dt <= limit ? cur + dt : undefined;
  }

  private rebase(wms: number): void {
    this.baseWms = wms;
    this.pulsesSinceBase = 0;
  }

  private nextTickAfter(cur: number): number {
    const tick = this.physics.tickMs;
    return this.simStartMs + (Math.floor((cur - this.simStartMs) / tick) + 1) * tick;
  }

  private nextFaultEdgeAfter(cur: number): number {
    let next = Infinity;
    for (const f of this.faults)
      for (const e of [f.from, f.until]) {
        if (e === undefined) continue;
        const at = this.simStartMs + e;
        if (at > cur && at < next) next = at;
      }
    return next;
  }

  /** State faults as the board sees them: supply (power cut and boot) and the cover switch. */
  private applyWorld(at: number): void {
    this.stepBoard(at);
    if (this.physics.powered && !this.firmware) this.bootFirmware();
    else if (!this.physics.powered && this.firmware) this.powerDown();
    if (!this.firmware) return;
    const since = at - this.simStartMs;
    this.board.setCover(this.faults.some((f) => f.type === 'coverOpen' && isActive(f, since)));
  }
}

/** One shared timer feeds every live meter on a real-time clock; meters that are gone drop out. */
const live = new Set<WeakRef<FirmwareSimMeter>>();
let pumpTimer: NodeJS.Timeout | undefined;

function pump(m: FirmwareSimMeter): void {
  live.add(new WeakRef(m));
  if (pumpTimer) return;
  pumpTimer = setInterval(() => {
    for (const ref of live) {
      const meter = ref.deref();
      if (meter) meter.sync();
      else live.delete(ref);
    }
    if (live.size === 0 && pumpTimer) {
      clearInterval(pumpTimer);
      pumpTimer = undefined;
    }
  }, PUMP_MS);
  pumpTimer.unref();
}
