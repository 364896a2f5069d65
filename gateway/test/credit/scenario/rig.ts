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
import { ManualClock, Simulator } from '@prepaid-edge/simulator';
import { Acquisition } from '../../../src/acquisition/index.js';
import { parseConfig } from '../../../src/config/load-config.js';
import type { GatewayConfig } from '../../../src/config/types.js';
import { CreditRuntime, type CreditUplink } from '../../../src/credit/engine/credit-runtime.js';
import type { CommandOutcome } from '../../../src/credit/contracts.js';
import type { NewEvent, NewReading } from '../../../src/model.js';
import { openOutbox, type SqliteOutbox } from '../../../src/store/index.js';
import { quietLog } from '../../uplink/helpers.js';

export const EXAMPLES = new URL('../../../../examples/', import.meta.url).pathname;

/** Timers on the manual clock: run when `fire(now)` passes their due time. */
export class ManualTimers {
  private next = 1;
  private readonly due = new Map<number, { at: number; fn: () => void }>();
  constructor(private readonly clock: ManualClock) {}
  set = (fn: () => void, ms: number): NodeJS.Timeout => {
    const id = this.next++;
    this.due.set(id, { at: this.clock.now() + ms, fn });
    return { unref() {}, ref() {}, [Symbol.toPrimitive]: () => id, id } as unknown as NodeJS.Timeout;
  };
  clear = (t: NodeJS.Timeout): void => {
    this.due.delete((t as unknown as { id: number }).id);
  };
  /** Run every timer due at or before now, earliest first. */
  fire(): number {
    let n = 0;
    for (;;) {
      const ready = [...this.due.entries()].filter(([, v]) => v.at <= this.clock.now()).sort((a, b) => a[1].at - b[1].at)[0];
      if (!ready) return n;
      this.due.delete(ready[0]);
      ready[1].fn();
      n++;
    }
  }
  nextAt(): number | undefined {
    const ats = [...this.due.values()].map((v) => v.at);
    return ats.length ? Math.min(...ats) : undefined;
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
}

export interface Rig {
  clock: ManualClock;
  sim: Simulator;
  cfg: GatewayConfig;
  credit: CreditRuntime;
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
  close(): Promise<void>;
}

export async function creditRig(t: ExecutionContext, o: RigOptions): Promise<Rig> {
  const n = o.meters ?? 1;
  const pollMs = o.pollMs ?? 60_000;
  const clock = new ManualClock(o.start ?? Date.UTC(2026, 0, 5, 12));
  const sim = new Simulator({ profile: 'prepaid', meters: n, seed: 'credit', clock });
  for (let u = 1; u <= n; u++) sim.setLoad(u, { type: 'constant', watts: o.watts ?? 2000 });
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
  const timers = new ManualTimers(clock);
  const events: NewEvent[] = [];
  const readings: NewReading[] = [];
  const results: CommandOutcome[] = [];
  const credits = new Map<string, Record<string, unknown>>();
  const outbox = await openOutbox(cfg.storage, { now: () => clock.now() });
  let credit: CreditRuntime | undefined;
  const pending: Array<Promise<unknown>> = [];
  const acquisition = new Acquisition(cfg, {
    now: () => clock.now(),
    monotonic: () => clock.now(),
    reading: (r) => {
      readings.push(r);
      // The gateway's order: committed to the outbox first, then charged.
      pending.push(outbox.appendReadings([r]).then(() => credit?.engine.onReading(r)));
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
  credit = await CreditRuntime.start({
    config: cfg,
    acquisition,
    boards: new Map(),
    uplink,
    event: (e) => {
      events.push(e);
      pending.push(outbox.appendEvent(e));
    },
    log: quietLog(),
    now: () => clock.now(),
    setTimer: timers.set,
    clearTimer: timers.clear,
  });
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
    const end = clock.now() + ms;
    for (;;) {
      const at = timers.nextAt();
      if (at === undefined || at > end) break;
      clock.advance(Math.max(0, at - clock.now()));
      timers.fire();
      await settle();
    }
    clock.advance(end - clock.now());
    timers.fire();
    await poll();
  };
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await settle();
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
    credit,
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
    close,
  };
}
