/**
 * A credit scenario on real parts with simulated time: `prepaid` meters (the real firmware on
 * virtual boards) served by the simulator over Modbus TCP on 127.0.0.1, the gateway's acquisition
 * pollers reading them with modbus-serial, the SQLite outbox and ledger in one real file, relay
 * drivers writing the meters' coils — and one ManualClock for the simulator, the gateway's wall
 * and monotonic clocks and the credit rules' timers. `step()` moves time and polls every meter
 * once, so weeks of metering run in seconds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import YAML from 'yaml';
import { ManualClock, type Clock, type TimerHandle } from '@prepaid-edge/protocols';
import { Simulator, type ProfileName } from '@prepaid-edge/simulator';
import { meterEventWalker } from '../../../src/app/meter-events.js';
import type { MeterEventWalker } from '../../../src/adapters/meter-events/index.js';
import { Acquisition } from '../../../src/adapters/acquisition/index.js';
import { parseConfig } from '../../../src/app/config/load-config.js';
import type { GatewayConfig } from '../../../src/core/config/gateway-config.js';
import { CreditRuntime, type CreditUplink } from '../../../src/adapters/credit/credit-runtime.js';
import type { CommandOutcome, StoredEntry } from '../../../src/core/credit/contracts.js';
import type { Ledger } from '../../../src/adapters/store/ledger/index.js';
import type { NewEvent, NewReading } from '../../../src/core/model.js';
import { openOutbox, type SqliteOutbox } from '../../../src/adapters/store/index.js';
import { quietLog } from '../../uplink/helpers.js';

/**
 * The parts of the simulator's firmware meter (simulator/src/meters/firmware-meter.ts, not exported
 * by the package) a scenario touches: the firmware on its virtual board, and the bus handler.
 */
export interface FirmwareSimMeter {
  firmware: { pressButton(): { ok: boolean; reason?: string }; core: { state: { relay: { state: number } } } } | undefined;
  storage: { slots: [string | undefined, string | undefined] };
  handlePdu(pdu: Uint8Array): Buffer;
  sync(): void;
}

export const EXAMPLES = new URL('../../../../examples/', import.meta.url).pathname;

/**
 * The credit runtime's clock: the rig's ManualClock, with the due times of the timers it set kept,
 * so `step()` can stop at each one and let the work it queued (SQLite, Modbus) finish first.
 */
export class TimedClock implements Clock {
  private readonly due = new Map<TimerHandle, number>();
  constructor(private readonly clock: ManualClock) {}
  now = (): number => this.clock.now();
  monotonic = (): number => this.clock.monotonic();
  setTimeout = (fn: () => void, ms: number): TimerHandle => {
    const h = this.clock.setTimeout(() => {
      this.due.delete(h);
      fn();
    }, ms);
    this.due.set(h, this.clock.monotonic() + Math.max(0, ms));
    return h;
  };
  clearTimeout = (h: TimerHandle | undefined): void => {
    if (h !== undefined) this.due.delete(h);
    this.clock.clearTimeout(h);
  };
  /** Monotonic time of the next timer, if any. */
  nextAt(): number | undefined {
    return this.due.size ? Math.min(...this.due.values()) : undefined;
  }
}

export interface RigOptions {
  meters?: number;
  /** Constant load per meter, W. */
  watts?: number;
  start?: number;
  /** The `credit:` section (tariffs/policies may be `{ file: ... }` relative to gateway/examples). */
  credit: Record<string, unknown>;
  timezone?: string;
  pollMs?: number;
  /** Modbus timeout (ms, default 2000; tests of dead meters use less). */
  timeoutMs?: number;
  /** Per-meter watts (overrides `watts` for unit i+1). */
  loads?: number[];
  /** The simulator's physics tick (ms, default 1000): a constant load is the same at any tick, and long runs go faster with fewer. */
  tickMs?: number;
  /** Called with the simulator before the gateway starts (e.g. to put credit on a meter). */
  beforeStart?: (sim: Simulator) => void;
  /** Simulator profile of the meters (default `prepaid`; `prepaid-2`: map revision 2). */
  profile?: ProfileName;
  /** Upload the meters' event logs as the gateway does (MeterEventWalker on each reading). Default false. */
  eventLog?: boolean;
}

/** What reached a meter's relay over Modbus: coil 1 writes (the relay command) seen by the meter. */
export interface RelayWrites {
  /** Every FC 05 / FC 15 write that covers coil 1, in order (true = close). */
  coil: boolean[];
}

export interface Rig {
  clock: ManualClock;
  sim: Simulator;
  cfg: GatewayConfig;
  /** The credit runtime in service (a new one after `restart()`). */
  readonly credit: CreditRuntime;
  outbox: SqliteOutbox;
  acquisition: Acquisition;
  events: NewEvent[];
  readings: NewReading[];
  results: CommandOutcome[];
  credits: Map<string, Record<string, unknown>>;
  dbPath: string;
  /** Advance simulated time by `ms` (firing timers at their instants), then poll every meter once. */
  step(ms: number): Promise<void>;
  /** Poll every meter once at the present instant. */
  poll(): Promise<void>;
  /** Run `ms` of simulated time in steps of `every` (default pollMs). */
  run(ms: number, every?: number): Promise<void>;
  eventsOf(type: string, meter?: string): NewEvent[];
  relayClosed(unit: number): boolean;
  command(o: Record<string, unknown>): Promise<CommandOutcome>;
  /** The simulated firmware meter at `unit` (its board, firmware and storage). */
  meter(unit: number): FirmwareSimMeter;
  /** Relay commands the meter at `unit` received over the bus. */
  relayWrites(unit: number): RelayWrites;
  /**
   * The meter's relay coil stops obeying: coil 1 writes are acknowledged on the wire (FC 05 echo)
   * but never reach the firmware, so the readback keeps the contact where it was (welded contact,
   * dead coil driver). `false` repairs it.
   */
  jamRelay(unit: number, jammed: boolean): void;
  /** Stop the credit runtime and start a new one on the same SQLite file (a gateway restart), `downMs` later. */
  restart(downMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function creditRig(t: ExecutionContext, o: RigOptions): Promise<Rig> {
  const n = o.meters ?? 1;
  const pollMs = o.pollMs ?? 60_000;
  const clock = new ManualClock({ now: o.start ?? Date.UTC(2026, 0, 5, 12) });
  const sim = new Simulator({ profile: o.profile ?? 'prepaid', meters: n, seed: 'credit', clock, ...(o.tickMs ? { tickMs: o.tickMs } : {}) });
  for (let u = 1; u <= n; u++) sim.setLoad(u, { type: 'constant', watts: o.loads?.[u - 1] ?? o.watts ?? 2000 });
  const writes = new Map<number, RelayWrites>();
  const jammed = new Set<number>();
  for (let u = 1; u <= n; u++) {
    const m = sim.meter(u) as unknown as FirmwareSimMeter;
    const w: RelayWrites = { coil: [] };
    writes.set(u, w);
    const handle = m.handlePdu.bind(m);
    m.handlePdu = (pdu: Uint8Array): Buffer => {
      const fc = pdu[0];
      const addr = pdu.length >= 3 ? (pdu[1]! << 8) | pdu[2]! : -1;
      let covers = false;
      if (fc === 0x05 && addr === 1) {
        covers = true;
        w.coil.push(pdu[3] === 0xff);
      } else if (fc === 0x0f && pdu.length >= 7) {
        const count = (pdu[3]! << 8) | pdu[4]!;
        if (addr <= 1 && addr + count > 1) {
          covers = true;
          w.coil.push(((pdu[6]! >> (1 - addr)) & 1) === 1);
        }
      }
      if (covers && jammed.has(u)) return fc === 0x05 ? Buffer.from(pdu) : Buffer.from(pdu.subarray(0, 5));
      return handle(pdu);
    };
  }
  o.beforeStart?.(sim);
  const port = await sim.listenTcp(0);
  const dir = mkdtempSync(join(tmpdir(), 'pe-credit-'));
  const dbPath = join(dir, 'gw.db');
  const raw = {
    gateway: { id: 'gw-credit', timezone: o.timezone ?? 'UTC' },
    storage: { path: dbPath, synchronous: 'normal' },
    mqtt: { url: 'mqtt://127.0.0.1:1', topicPrefix: 'pe-test' },
    buses: [{ id: 'b1', type: 'tcp', host: '127.0.0.1', port, timeoutMs: o.timeoutMs ?? 2000 }],
    meters: Array.from({ length: n }, (_, i) => ({ id: `p${i + 1}`, bus: 'b1', unit: i + 1, profile: 'prepaid', pollMs, retries: 0, commLostAfter: 100 })),
    log: { level: 'silent' },
    credit: o.credit,
  };
  const cfg = parseConfig(YAML.stringify(raw), join(EXAMPLES, 'scenario.yaml'));
  const timers = new TimedClock(clock);
  const events: NewEvent[] = [];
  const readings: NewReading[] = [];
  const results: CommandOutcome[] = [];
  const credits = new Map<string, Record<string, unknown>>();
  const outbox = await openOutbox(cfg.storage, { clock });
  let credit: CreditRuntime | undefined;
  let walker: MeterEventWalker | undefined;
  const pending: Array<Promise<unknown>> = [];
  const acquisition = new Acquisition(cfg, {
    clock,
    reading: (r) => {
      readings.push(r);
      // The gateway's order: committed to the outbox first, then charged.
      pending.push(outbox.appendReadings([r]).then(() => credit?.engine.onReading(r)));
      if (walker) {
        walker.onReading(r);
        pending.push(walker.walk(r.meter));
      }
    },
    event: (e) => {
      events.push(e);
      credit?.engine.onEvent(e);
      pending.push(outbox.appendEvent(e));
    },
  });
  let commandHandler: ((p: Buffer) => void) | undefined;
  const uplink: CreditUplink = {
    onCommand: (h) => (commandHandler = h),
    publishResult: (p) => results.push(JSON.parse(p) as CommandOutcome),
    publishCredit: (meter, payload) => credits.set(meter, payload as Record<string, unknown>),
  };
  void commandHandler;
  const startCredit = () =>
    CreditRuntime.start({
      config: cfg,
      acquisition,
      boards: new Map(),
      uplink,
      event: (e) => {
        events.push(e);
        pending.push(outbox.appendEvent(e));
      },
      log: quietLog(),
      clock: timers,
    });
  credit = await startCredit();
  if (o.eventLog) {
    walker = meterEventWalker(cfg, acquisition, {
      clock,
      log: quietLog(),
      outbox,
      event: (e) => {
        events.push(e);
        pending.push(outbox.appendEvent(e));
      },
      stored: (e) => {
        events.push(e);
        credit?.engine.onEvent(e);
      },
    });
    await walker?.start();
  }
  const settle = async () => {
    while (pending.length) await Promise.all(pending.splice(0));
    await credit!.engine.idle();
    while (pending.length) await Promise.all(pending.splice(0));
  };
  const poll = async () => {
    for (const p of acquisition.pollers.values()) await p.pollOnce();
    acquisition.flush();
    await settle();
  };
  const step = async (ms: number) => {
    const end = clock.monotonic() + ms;
    for (;;) {
      const at = timers.nextAt();
      if (at === undefined || at > end) break;
      clock.advance(Math.max(0, at - clock.monotonic()));
      await settle();
    }
    clock.advance(end - clock.monotonic());
    await poll();
  };
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await settle();
    await walker?.stop();
    await credit!.stop();
    await acquisition.stop();
    await outbox.close();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  };
  t.teardown(close);
  return {
    clock,
    sim,
    cfg,
    get credit() {
      return credit!;
    },
    outbox,
    acquisition,
    events,
    readings,
    results,
    credits,
    dbPath,
    step,
    poll,
    run: async (ms, every = pollMs) => {
      for (let done = 0; done < ms; done += every) await step(Math.min(every, ms - done));
    },
    eventsOf: (type, meter) => events.filter((e) => e.type === type && (!meter || e.meter === meter)),
    relayClosed: (unit) => sim.trueState(unit).relayClosed,
    command: (cmd) => credit!.handleCommand(JSON.stringify(cmd)),
    meter: (unit) => sim.meter(unit) as unknown as FirmwareSimMeter,
    relayWrites: (unit) => writes.get(unit)!,
    jamRelay: (unit, on) => void (on ? jammed.add(unit) : jammed.delete(unit)),
    restart: async (downMs = 0) => {
      await settle();
      await credit!.stop();
      credit = undefined;
      clock.advance(downMs);
      credit = await startCredit();
      await settle();
    },
    close,
  };
}

/** Every entry of an account, oldest first (the ledger pages by 1000). */
export async function allEntries(ledger: Ledger, meter: string): Promise<StoredEntry[]> {
  const out: StoredEntry[] = [];
  for (;;) {
    const page = await ledger.entries(meter, { afterId: out.at(-1)?.id ?? 0, limit: 1000 });
    out.push(...page);
    if (page.length < 1000) return out;
  }
}

/**
 * The books balance at the end of a scenario: the ledger's own check (stored balance == replay of
 * the entries, running balances included) and, independently, the sum of every entry == balance.
 */
export async function assertLedgerReconciles(t: ExecutionContext, ledger: Ledger): Promise<void> {
  const report = await ledger.verify();
  t.true(report.ok, `ledger verify: ${JSON.stringify(report.mismatches)}`);
  for (const a of await ledger.accounts()) {
    const sum = (await allEntries(ledger, a.meter)).reduce((s, e) => s + e.amount, 0);
    t.is(sum, a.balance, `${a.meter}: sum of entries == balance`);
  }
}
