/**
 * The firmware: meter core + persistence + Modbus map + johnny-five hardware + console, wired.
 * Every input (pulse, key, Modbus request, switch, tick) runs the same cycle: change the core,
 * save the state if it changed (synchronously, before anything is acknowledged), then drive the
 * outputs (relay, display, buzzer, LEDs) from the state.
 *
 * Time: `clock` is the firmware's monotonic millisecond clock (debounce, watchdog, display
 * timeouts); `rtc` the wall clock for event stamps. With `timers: false` nothing runs by itself
 * and the owner calls tick() (the simulator does, so simulated time drives everything).
 */
import { EventEmitter } from 'node:events';
import five, { type Board } from 'johnny-five';
import { handleRequest, type PrepaidError } from '@prepaid-edge/protocols';
import { coreConfigOf, factoryOf, type FirmwareConfig } from './config.js';
import { every, systemClock, type Clock } from '@prepaid-edge/protocols';
import { MeterCore, type ModuleReading, type Outcome } from './core/meter-core.js';
import { freshState } from './core/fresh-state.js';
import type { TokenOutcome } from './core/token.js';
import { CREDIT_BITS, LATCHED_BITS, RELAY, STATUS, type MeterEvent, type Parity } from './core/types.js';
import { J5Hardware, type HardwareSink } from './hw/j5-hardware.js';
import type { PinMap } from './hw/pin-map.js';
import { PrepaidRegisterModel } from './modbus/register-model.js';
import type { SlotStorage } from './persist/slots.js';
import { StateStore, type LoadResult } from './persist/state-store.js';
import { KeyEntry } from './ui/key-entry.js';
import { MESSAGES, renderDisplay } from './ui/display.js';
import { formatKwh, formatMinor } from './ui/format.js';
import type { ConsoleTarget } from './console/console-session.js';

export interface FirmwareLogger {
  info(msg: string, data?: Record<string, unknown>): void;
  warn(msg: string, data?: Record<string, unknown>): void;
  error(msg: string, data?: Record<string, unknown>): void;
}

const silent: FirmwareLogger = { info: () => {}, warn: () => {}, error: () => {} };

export interface FirmwareOptions {
  config: FirmwareConfig;
  pinMap: PinMap;
  /** A johnny-five IO plugin instance (the virtual board's, raspi-io, ...), or `board` instead. */
  io?: unknown;
  /** An already created johnny-five Board (e.g. Firmata by port path). */
  board?: unknown;
  storage: SlotStorage;
  clock?: Clock;
  rtc?: () => number;
  /** Own timers for tick() (default true, period `tickMs`). */
  timers?: boolean;
  tickMs?: number;
  log?: FirmwareLogger;
}

export interface BootInfo {
  restored: boolean;
  slot: 0 | 1 | undefined;
  generation: number;
  rejected: Array<{ slot: 0 | 1; code: string; message: string }>;
  /** Both slots held damaged records: the meter started from factory state with the relay open. */
  stateLost: boolean;
}

/** Warning bits that beep on their rising edge; bits 16/17 are local (token) credit low/empty. */
const LOCAL_LOW = 1 << 16;
const LOCAL_EMPTY = 1 << 17;

export class Firmware extends EventEmitter {
  readonly core: MeterCore;
  readonly registers: PrepaidRegisterModel;
  readonly store: StateStore;
  readonly boot: BootInfo;
  readonly board: Board;
  readonly hardware: J5Hardware;
  readonly clock: Clock;
  persistErrors = 0;
  private readonly cfg: FirmwareConfig;
  private readonly log: FirmwareLogger;
  private readonly keys: KeyEntry;
  private page = 0;
  private message: { lines: readonly [string, string]; until: number } | undefined;
  private warned = 0;
  private buzzerOffAt = -Infinity;
  private relayTestCloseAt: number | undefined;
  private nextHeartbeat: number;
  private stopTicks: (() => void) | undefined;
  private stopped = false;
  private ready = false;

  /** Boot on an IO plugin that is ready now (the virtual board): synchronous. */
  static boot(opts: FirmwareOptions): Firmware {
    const board = (opts.board as Board | undefined) ?? new five.Board({ io: opts.io, repl: false, debug: false, sigint: false });
    if (!board.isReady) throw new RangeError('Firmware.boot needs a ready IO plugin; use Firmware.start');
    return new Firmware(opts, board);
  }

  /** Boot on any IO plugin: waits for the board to be ready. */
  static async start(opts: FirmwareOptions): Promise<Firmware> {
    const board = (opts.board as Board | undefined) ?? new five.Board({ io: opts.io, repl: false, debug: false, sigint: false });
    if (!board.isReady) await new Promise<void>((resolve, reject) => board.once('ready', () => resolve()).once('error', reject));
    return new Firmware(opts, board);
  }

  private constructor(opts: FirmwareOptions, board: Board) {
    super();
    this.cfg = opts.config;
    this.log = opts.log ?? silent;
    this.clock = opts.clock ?? systemClock;
    this.board = board;
    this.keys = new KeyEntry(this.cfg.keypadTimeoutS * 1000);
    this.store = new StateStore(opts.storage);
    const loaded: LoadResult = this.store.load();
    const stateLost = loaded.state === undefined && loaded.rejected.length > 0;
    const state = loaded.state ?? freshState({ ...factoryOf(this.cfg), ...(stateLost ? { initialRelay: 'disconnected' as const } : {}) });
    this.boot = {
      restored: loaded.state !== undefined,
      slot: loaded.slot,
      generation: loaded.gen,
      rejected: loaded.rejected.map((r) => ({ slot: r.slot, code: r.error.code, message: r.error.message })),
      stateLost,
    };
    if (stateLost) this.log.error('both state slots are damaged: started from factory state with the relay open', { rejected: this.boot.rejected });
    else if (loaded.rejected.length > 0) this.log.warn('a state slot was damaged; using the other one', { rejected: this.boot.rejected });
    this.core = new MeterCore(state, {
      config: coreConfigOf(this.cfg),
      clock: this.clock,
      ...(opts.rtc ? { rtc: opts.rtc } : {}),
      energySource: this.cfg.energySource,
      onEvent: (e) => this.emit('event', e),
    });
    this.registers = new PrepaidRegisterModel(this.core, this.cfg.serialNumber);
    this.registers.onGatewayMessage = (code) => this.show(MESSAGES[`gateway${code}`]);
    this.nextHeartbeat = this.clock.monotonic() + this.cfg.heartbeatS * 1000;
    // Power events first; the hardware reports its inputs' present levels while it is built.
    this.input(() => this.core.powerUp(this.boot.restored));
    this.hardware = new J5Hardware({
      board,
      pins: opts.pinMap,
      clock: this.clock,
      s0DebounceMs: this.cfg.s0DebounceMs,
      modulePollMs: this.cfg.modulePollMs,
      sink: this.sink(),
    });
    this.ready = true;
    // Components were given their board explicitly; leaving the board in johnny-five's global
    // cache would keep every firmware instance alive for the life of the process.
    dropFromBoardCache(board);
    this.tick();
    if (opts.timers ?? true) {
      this.stopTicks = every(this.clock, opts.tickMs ?? 50, () => this.tick(), { unref: true });
    }
  }

  // ---- the input cycle -----------------------------------------------------------------------

  private input<T>(fn: () => T): T {
    if (this.stopped) throw new RangeError('firmware stopped');
    const r = fn();
    this.persist();
    this.refreshOutputs();
    return r;
  }

  private persist(): void {
    if (!this.core.checkpoint()) return;
    try {
      this.store.save(this.core.state, this.core.coldVersion);
    } catch (e) {
      this.persistErrors++;
      this.core.markDirty(); // try again on the next input
      this.log.error('state save failed', { err: (e as Error).message });
    }
  }

  private sink(): HardwareSink {
    // An IO plugin cannot take back a digitalRead callback: after stop() (a restart on the same
    // board) the old firmware's inputs must fall silent rather than throw.
    const live = <A extends unknown[]>(fn: (...a: A) => void) => (...a: A): void => {
      if (!this.stopped) fn(...a);
    };
    return {
      pulse: live(() => this.input(() => this.core.pulse())),
      button: live(() => {
        this.pressButton();
      }),
      key: live((k: string) => this.key(k)),
      cover: live((open: boolean) => {
        if (open) this.input(() => this.core.coverOpened());
      }),
      magnet: live((present: boolean) => {
        if (present) this.input(() => this.core.magneticField());
      }),
      relayFeedback: live((closed: boolean) => this.input(() => this.core.relaySensed(closed))),
      module: live((r: ModuleReading) => this.input(() => this.core.moduleReading(r))),
      moduleError: (e: PrepaidError) => this.log.warn('metering module error', { code: e.code, err: e.message }),
    };
  }

  /** Time passed: watchdog, debounce settling, coil pulses, module poll, display timeouts, heartbeat. */
  tick(): void {
    if (this.stopped || !this.ready) return;
    const now = this.clock.monotonic();
    this.input(() => {
      this.hardware.tick(now);
      this.core.tick();
      this.keys.expire(now);
      if (this.message && now >= this.message.until) this.message = undefined;
      if (this.relayTestCloseAt !== undefined && now >= this.relayTestCloseAt) {
        this.relayTestCloseAt = undefined;
        this.core.relayTestClose();
      }
      if (now >= this.nextHeartbeat) {
        this.nextHeartbeat = now + this.cfg.heartbeatS * 1000;
        this.core.markDirty();
      }
    });
  }

  /** One Modbus request PDU addressed to this meter -> reply PDU (exceptions included). */
  handleModbusPdu(pdu: Uint8Array): Buffer {
    return this.input(() => {
      this.core.gatewayRequest();
      return handleRequest(this.registers, pdu);
    });
  }

  /** A token as typed on the keypad (or the console). */
  enterToken(digits: string): TokenOutcome {
    const out = this.input(() => this.core.enterToken(digits));
    if (out.ok) {
      this.show(out.kind === 'credit' ? MESSAGES.credit(out.wh) : MESSAGES[out.kind]);
      this.beep(this.cfg.beepMs / 3);
    } else {
      this.show(MESSAGES[out.reason]);
      this.beep(this.cfg.beepMs);
    }
    this.emit('token', out);
    return out;
  }

  /** The customer's reconnect button (or keypad B). */
  pressButton(): Outcome {
    const wasReady = this.core.state.relay.state === RELAY.READY;
    const r = this.input(() => this.core.button());
    if (r.ok) this.show(MESSAGES.reconnected);
    else if (!wasReady && this.core.state.relay.state !== RELAY.CONNECTED) this.show(MESSAGES.notArmed);
    this.emit('button', r);
    return r;
  }

  private key(k: string): void {
    const action = this.keys.press(k, this.clock.monotonic());
    switch (action.kind) {
      case 'submit':
        this.enterToken(action.digits);
        break;
      case 'incomplete':
        this.show(MESSAGES.incomplete);
        break;
      case 'emergency': {
        const r = this.input(() => this.core.requestEmergencyCredit());
        this.show(r.ok ? MESSAGES.emergencyGranted : r.reason === 'requested from the gateway' ? MESSAGES.emergencyRequested : MESSAGES.emergencyRefused);
        break;
      }
      case 'reconnect':
        this.pressButton();
        break;
      case 'page':
        this.page = (this.page + 1) % 2;
        this.message = undefined;
        this.refreshOutputs();
        break;
      case 'none':
        this.message = undefined;
        this.refreshOutputs();
        break;
    }
    this.emit('key', k);
  }

  private show(lines: readonly [string, string]): void {
    this.message = { lines, until: this.clock.monotonic() + this.cfg.messageMs };
    this.refreshOutputs();
  }

  private beep(ms: number): void {
    this.buzzerOffAt = Math.max(this.buzzerOffAt, this.clock.monotonic() + ms);
    this.refreshOutputs();
  }

  // ---- outputs -------------------------------------------------------------------------------

  private refreshOutputs(): void {
    if (!this.ready || this.stopped) return;
    const now = this.clock.monotonic();
    const core = this.core;
    const s = core.state;
    const status = core.status();
    this.hardware.setRelay(core.relayIntendedClosed, now);

    const local = core.localCreditWh;
    const warnings = (status & (CREDIT_BITS | LATCHED_BITS)) | (core.localCreditLow ? LOCAL_LOW : 0) | (local === 0 ? LOCAL_EMPTY : 0);
    if (warnings & ~this.warned) this.buzzerOffAt = Math.max(this.buzzerOffAt, now + this.cfg.beepMs);
    this.warned = warnings;
    this.hardware.setBuzzer(now < this.buzzerOffAt);
    this.hardware.setLed('lowCredit', (warnings & (CREDIT_BITS | LOCAL_LOW | LOCAL_EMPTY)) !== 0);
    this.hardware.setLed('tamper', (status & LATCHED_BITS) !== 0);
    this.hardware.setLed('comms', (status & STATUS.STANDALONE) === 0);

    this.hardware.showLines(
      renderDisplay({
        cols: 16,
        page: this.page,
        entry: this.keys.digits,
        message: this.message?.lines,
        status,
        creditBalance: s.settings.creditBalance,
        creditDecimals: s.settings.creditDecimals,
        localCreditWh: local,
        importWh: s.energy.importWh,
        relayState: s.relay.state,
        serialNumber: this.cfg.serialNumber,
        unitId: s.line.unitId,
        baudRate: s.line.baudRate,
        parity: s.line.parity,
      }),
    );
  }

  // ---- the maintenance console ---------------------------------------------------------------

  consoleTarget(): ConsoleTarget {
    const core = this.core;
    const s = core.state;
    return {
      status: () => ({
        serialNumber: this.cfg.serialNumber,
        meterNumber: this.cfg.meterNumber || '-',
        relayState: ['disconnected', 'connected', 'ready'][s.relay.state]!,
        relayClosed: core.relayReadback,
        relayCommand: s.relay.command,
        status: `0x${core.status().toString(16).padStart(4, '0')}`,
        standalone: core.standalone,
        tamper: `0x${(s.latched & LATCHED_BITS).toString(16)}`,
        unitId: s.line.unitId,
        baudRate: s.line.baudRate,
        parity: s.line.parity,
        stateGeneration: this.store.generation,
        persistErrors: this.persistErrors,
        stateLost: this.boot.stateLost,
      }),
      energy: () => {
        const m = core.measurements();
        return { energyImportWh: s.energy.importWh, energyExportWh: s.energy.exportWh, kWh: formatKwh(s.energy.importWh, 3), powerW: m.power, voltageV: m.voltage ?? '-', frequencyHz: m.frequency ?? '-' };
      },
      balance: () => {
        const local = core.localCreditWh;
        return {
          creditBalance: formatMinor(s.settings.creditBalance, s.settings.creditDecimals),
          backupDisconnectThresholdWh: s.settings.backupDisconnectThreshold,
          tokenCreditWh: local ?? '-',
          emergencyCredit: s.emergencyInUse ? 'in use' : 'no',
        };
      },
      events: (n) => s.events.log.slice(-n).reverse(),
      token: (digits) => {
        const out = this.enterToken(digits);
        if (!out.ok) return { ok: false, text: `rejected=${out.reason} detail=${out.detail}` };
        return { ok: true, text: out.kind === 'credit' ? `accepted=credit wh=${out.wh} tid=${out.tid}` : `accepted=${out.kind}` };
      },
      relayTest: () => {
        const r = this.input(() => core.relayTestOpen());
        if (!r.ok) return r;
        this.relayTestCloseAt = this.clock.monotonic() + this.cfg.relayTestMs;
        return r;
      },
      tamperClear: () => this.input(() => core.clearTamper()),
      setLine: (change: { unitId?: number; baudRate?: number; parity?: Parity }) => {
        const line = { ...s.line, ...change };
        this.input(() => core.setLine(line));
        this.emit('line', line);
      },
    };
  }

  /** Newest events first (console, tests). */
  events(count = 10): MeterEvent[] {
    return this.core.state.events.log.slice(-count).reverse();
  }

  /** Stop timers and detach from the board (a power cut does not call this; see the simulator). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.stopTicks?.();
    this.hardware.close();
    dropFromBoardCache(this.board);
    this.emit('stop');
  }
}

function dropFromBoardCache(board: Board): void {
  const cache = five.Board.cache;
  const i = cache.indexOf(board);
  if (i >= 0) cache.splice(i, 1);
}
