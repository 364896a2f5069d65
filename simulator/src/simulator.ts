/**
 * The simulator as a library: meters on one bus, a clock, scenario events, and the transports
 * that expose the bus (Modbus TCP, a serial device). Tests drive it through this class; the CLI
 * and the control HTTP API are thin layers over it.
 */
import { loadProfile } from '@prepaid-edge/protocols';
import type { Clock } from '@prepaid-edge/protocols';
import { ScaledClock } from './clock.js';
import { SimBus } from './bus.js';
import { ModbusSimMeter } from './meters/modbus-meter.js';
import type { LineSettings, SimMeter, SimMeterOptions, TrueState } from './meters/sim-meter.js';
import { createRng } from './physics/random.js';
import type { LoadSpec } from './physics/load-profiles.js';
import type { FaultSpec } from './faults.js';
import { unitsOf, type Scenario, type ScenarioEvent, type Units } from './scenario.js';
import { WireTiming } from './wire-timing.js';
import { ModbusTcpServer } from './transports/tcp-server.js';
import { openOwnedPty, type OwnedPty } from './transports/owned-pty.js';
import { SerialBusTransport } from './transports/serial-bus.js';
import { RtuOverTcpServer } from './transports/rtu-over-tcp.js';
import type { Logger } from './log.js';
import { meterFactories, type MeterFactory } from './meters/factories.js';
import { Dlt645SimMeter } from './meters/dlt645-meter.js';
import { dlt645Dialect } from './meters/dlt645-dialect.js';

/** 'prepaid-2': a `prepaid` meter whose firmware serves map revision 2 (keypad credit in its own registers). */
export type ProfileName = 'sdm630' | 'sdm120' | 'prepaid' | 'prepaid-2' | 'dlt645' | 'dlt645-3p';

export interface SimulatorOptions {
  profile?: ProfileName;
  meters?: number;
  seed?: number | string;
  /** Simulated time runs this many times faster than real time. */
  speed?: number;
  /** Inject a clock (tests); overrides speed and scenario start. */
  clock?: Clock;
  tickMs?: number;
  timing?: 'instant' | 'wire';
  /** Line settings used for wire timing and as the bus default. */
  baudRate?: number;
  parity?: 'none' | 'even' | 'odd';
  turnaroundMs?: number;
  scenario?: Scenario;
  log?: Logger;
}

export class Simulator {
  readonly clock: Clock;
  readonly bus: SimBus;
  readonly startMs: number;
  readonly seed: number | string;
  private readonly events: ScenarioEvent[];
  private nextEvent = 0;
  private tcp: ModbusTcpServer | undefined;
  private serial: SerialBusTransport | undefined;
  private eventTimer: NodeJS.Timeout | undefined;
  tcpPort: number | undefined;

  constructor(readonly opts: SimulatorOptions = {}) {
    const sc = opts.scenario ?? {};
    this.seed = opts.seed ?? sc.seed ?? 1;
    this.clock = opts.clock ?? new ScaledClock(sc.start ? Date.parse(sc.start) : Date.now(), opts.speed ?? 1);
    this.startMs = this.clock.now();
    this.bus = new SimBus();
    if (opts.timing === 'wire') {
      this.bus.timing = new WireTiming({ baudRate: opts.baudRate ?? 9600, parity: opts.parity ?? 'none', turnaroundMs: opts.turnaroundMs ?? 2 });
    }
    this.bus.beforeRequest = () => this.applyDueEvents();
    this.events = [...(sc.events ?? [])];

    const count = opts.meters ?? 1;
    const units = new Set<number>();
    for (let u = 1; u <= count; u++) units.add(u);
    for (const m of sc.meters ?? []) if (m.units !== 'all') for (const u of unitsOf(m.units, [])) units.add(u);
    const sorted = [...units].sort((a, b) => a - b);
    for (const unit of sorted) {
      const overrides = (sc.meters ?? []).filter((m) => unitsOf(m.units, sorted).includes(unit));
      const pick = <K extends keyof (typeof overrides)[number]>(k: K) => overrides.map((o) => o[k]).filter((v) => v !== undefined).pop();
      const profile = (pick('profile') ?? opts.profile ?? 'sdm630') as ProfileName;
      const rng = createRng(this.seed, 'init', unit);
      const line: LineSettings | undefined = pick('baudRate') || pick('parity')
        ? { baudRate: (pick('baudRate') as number | undefined) ?? opts.baudRate ?? 9600, parity: (pick('parity') as LineSettings['parity'] | undefined) ?? opts.parity ?? 'none' }
        : undefined;
      const meterOpts: SimMeterOptions = {
        id: `${profile}-${unit}`,
        unit,
        seed: this.seed,
        clock: this.clock,
        simStartMs: this.startMs,
        phases: profile === 'sdm630' || profile === 'dlt645-3p' ? 3 : 1,
        tickMs: opts.tickMs ?? sc.tickMs ?? 1000,
        utcOffsetMin: sc.utcOffsetMin ?? 0,
        load: (pick('load') as LoadSpec | undefined) ?? defaultLoad(profile, unit),
        energyImportWh: (pick('energyImportWh') as number | undefined) ?? Math.floor(100_000 + rng() * 20_000_000),
        faults: overrides.flatMap((o) => o.faults ?? []),
        ...(line ? { line } : {}),
      };
      this.bus.add(this.createMeter(profile, meterOpts));
    }
    for (const spec of sc.meters ?? []) if (spec.feeds) this.wireFeeder(spec.units, spec.feeds, spec.lossPct ?? 0, sorted);
    if (this.bus.all.some((m) => m instanceof Dlt645SimMeter)) this.bus.dialect = dlt645Dialect;
  }

  /** A feeder's demand each tick: what its sub-meters draw at that instant (metered or not), plus losses. */
  private wireFeeder(units: Units, feeds: number[], lossPct: number, all: number[]): void {
    const subs = feeds.map((u) => this.meter(u));
    for (const unit of unitsOf(units, all)) {
      const feeder = this.meter(unit);
      if (subs.includes(feeder)) throw new RangeError(`meter ${unit} cannot feed itself`);
      feeder.physics.demandSource = (t) => {
        let sum = 0;
        for (const s of subs) {
          s.sync(t);
          sum += s.physics.flowPowerW;
        }
        return Math.round(sum * (1 + lossPct / 100));
      };
      // the first tick was drawn before the feeder knew its sub-meters
      feeder.physics.setLoad(feeder.physics.loadSpec, this.startMs);
    }
  }

  private createMeter(profile: ProfileName, o: SimMeterOptions): SimMeter {
    const factory: MeterFactory | undefined = meterFactories[profile];
    if (factory) return factory(o);
    return new ModbusSimMeter(loadProfile(profile), o);
  }

  get meters(): readonly SimMeter[] {
    return this.bus.all;
  }

  meter(unit: number): SimMeter {
    const m = this.bus.all.find((x) => x.unit === unit);
    if (!m) throw new RangeError(`no meter with unit ${unit}`);
    return m;
  }

  /** Apply scenario events whose time has come (called before every request and on a timer). */
  applyDueEvents(): void {
    const since = this.clock.now() - this.startMs;
    while (this.nextEvent < this.events.length && this.events[this.nextEvent]!.at <= since) {
      const e = this.events[this.nextEvent++]!;
      for (const unit of unitsOf(e.units, this.bus.all.map((m) => m.unit))) {
        const m = this.bus.all.find((x) => x.unit === unit);
        if (!m) continue;
        m.sync(this.startMs + e.at);
        if (e.load) m.physics.setLoad(e.load, this.startMs + e.at);
        if (e.clearFaults) m.faults = [];
        if (e.fault) m.faults.push({ ...e.fault, from: e.fault.from ?? e.at });
        if (e.relay) m.physics.relayClosed = e.relay === 'close';
        // state faults take effect at the event's instant, not at the next request
        m.sync(this.startMs + e.at);
      }
    }
  }

  setLoad(unit: number, load: LoadSpec): void {
    this.meter(unit).setLoad(load);
  }
  addFault(unit: number, fault: FaultSpec): void {
    const since = this.clock.now() - this.startMs;
    this.meter(unit).addFault({ ...fault, from: fault.from ?? since });
  }
  clearFaults(unit: number): void {
    this.meter(unit).clearFaults();
  }
  setRelay(unit: number, closed: boolean): void {
    this.meter(unit).setRelay(closed);
  }
  trueState(unit: number): TrueState {
    return this.meter(unit).trueState();
  }
  states(): TrueState[] {
    const now = this.clock.now();
    return this.bus.all.map((m) => m.trueState(now));
  }

  async listenTcp(port: number, host = '127.0.0.1'): Promise<number> {
    this.tcp = new ModbusTcpServer(this.bus, this.opts.log);
    this.tcpPort = await this.tcp.listen({ port, host });
    this.startEventTimer();
    return this.tcpPort;
  }

  /** RTU frames with CRC over a TCP socket (an Ethernet-to-RS-485 converter), same slave logic as the serial bus. */
  async listenRtuOverTcp(port: number, host = '127.0.0.1', silenceMs?: number): Promise<number> {
    this.rtuTcp = new RtuOverTcpServer(this.bus, this.opts.log);
    this.rtuTcpPort = await this.rtuTcp.listen({ port, host, ...(silenceMs !== undefined ? { silenceMs } : {}) });
    this.startEventTimer();
    return this.rtuTcpPort;
  }

  rtuTcp: RtuOverTcpServer | undefined;
  rtuTcpPort: number | undefined;

  /** `peerPath`: the master's end of a pty pair, to model per-meter line settings (SerialBusOptions). */
  async openSerial(path: string, line: Partial<LineSettings> & { peerPath?: string; silenceMs?: number } = {}): Promise<void> {
    this.serial = new SerialBusTransport(this.bus, this.opts.log);
    await this.serial.open({
      path,
      baudRate: line.baudRate ?? this.opts.baudRate ?? 9600,
      parity: line.parity ?? this.opts.parity ?? 'none',
      ...(line.peerPath ? { peerPath: line.peerPath } : {}),
      ...(line.silenceMs !== undefined ? { silenceMs: line.silenceMs } : {}),
    });
    this.startEventTimer();
  }

  /**
   * Serve the bus on a new pty pair whose master's end is linked at `path` (needs socat). Meters
   * with line settings of their own then answer only a master at their baud rate and parity.
   */
  async openPty(path: string, line: Partial<LineSettings> = {}): Promise<void> {
    const pty = await openOwnedPty(path);
    this.pty = pty;
    try {
      await this.openSerial(pty.simPath, { ...line, peerPath: pty.path });
    } catch (e) {
      await pty.close();
      throw e;
    }
  }

  private pty: OwnedPty | undefined;

  private startEventTimer(): void {
    if (this.eventTimer || this.events.length === 0) return;
    this.eventTimer = setInterval(() => this.applyDueEvents(), 50);
    this.eventTimer.unref();
  }

  async close(): Promise<void> {
    if (this.eventTimer) clearInterval(this.eventTimer);
    await Promise.all([this.tcp?.close(), this.serial?.close(), this.rtuTcp?.close()]);
    await this.pty?.close();
  }
}

export function defaultLoad(profile: ProfileName, unit: number): LoadSpec {
  if (profile === 'sdm630') return unit % 4 === 0 ? { type: 'ev' } : { type: 'commercial' };
  return { type: 'residential', peakW: 2500 + (unit % 5) * 300 };
}
