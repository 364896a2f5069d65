/**
 * `prepaid-gateway fleet`: N gateways x M simulated meters against one broker, to size a head end.
 *
 * The gateways run in this process or in `workers` child processes (fleet-worker.ts); a head-end
 * subscriber here counts what arrives. The run: start broker, head end, gateways; wait until every
 * gateway has delivered a reading; measure for `durationS`; stop the gateways (their outboxes
 * keep what was not sent) and compare what each outbox stored with what the head end received.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { systemClock, type Clock } from '@prepaid-edge/protocols';
import type { ProfileName } from '@prepaid-edge/simulator';
import { startFleetBroker } from './fleet-broker.js';
import { HeadEnd } from './head-end.js';
import { LedgerHeadEnd, type LedgerCheck } from './ledger-head-end.js';
import { fleetGatewayConfig, startFleetNode, type FleetNodeSpec, type GatewayTally, type Window } from './fleet-node.js';
import type { FromWorker, ToWorker } from './fleet-worker.js';
import { sampleProcess, type ProcSample } from './proc-usage.js';

export interface FleetOptions {
  gateways: number;
  /** Meters per gateway (unit ids 1..meters on its own simulated bus). */
  meters: number;
  /** mqtt:// URL, 'embedded', 'mosquitto'; default: a local mosquitto if installed, else embedded. */
  broker?: string;
  /** Measurement window, seconds (default 20). */
  durationS?: number;
  /** Poll period of every meter, ms (default 1000). */
  pollMs?: number;
  profile?: 'sdm630' | 'prepaid';
  /** Child processes for the gateways; 0 = all in this process (default: see defaultWorkers). */
  workers?: number;
  /** MQTT topic prefix (default prepaid-edge). */
  prefix?: string;
  /** Outbox durability of the simulated gateways (default normal: see docs/deploy.md, Fleet). */
  synchronous?: 'full' | 'normal';
  /** mqtt.lingerMs of the gateways (default: the gateway's own default). */
  lingerMs?: number;
  /** Prepaid credit on every meter: a ledger per gateway, streamed, rebuilt by the head end and compared (default false). */
  credit?: boolean;
  /** Where the SQLite files go (a temp dir under it, removed afterwards; default os.tmpdir()). */
  tmpDir?: string;
  logLevel?: string;
  /** Ends the measurement window early (Ctrl-C). */
  signal?: AbortSignal;
  /** Progress lines (to stderr in the CLI). */
  progress?: (line: string) => void;
  /** The head end's and the in-process gateways' clock (default: the system clock; workers use theirs). */
  clock?: Clock;
}

export interface ProcessUsage {
  /** 'head-end+gateways' when the gateways run in the head end's process (no workers). */
  role: 'head-end' | 'head-end+gateways' | 'worker' | 'broker';
  pid: number;
  /** CPU over the window, % of one core. */
  cpuPct: number;
  rssMiB: number;
  peakRssMiB: number;
}

export interface FleetReport {
  gateways: number;
  metersPerGateway: number;
  meters: number;
  pollMs: number;
  /** mqtt.lingerMs in effect on the gateways: live readings wait up to this long to be batched. */
  lingerMs: number;
  profile: string;
  broker: { kind: string; url: string };
  workers: number;
  windowS: number;
  /** Readings per second the meters produce (meters x 1000 / pollMs). */
  offeredPerS: number;
  /** Readings per second the gateways actually took within the window (below offered: the simulation host is short of CPU). */
  polledPerS: number;
  /** Readings per second that reached the head end within the window. */
  deliveredPerS: number;
  messagesPerS: number;
  latencyMs: { p50: number | null; p99: number | null; max: number };
  /** Gateways from which nothing arrived within the window. */
  silentGateways: string[];
  /** Over the whole run: readings the outboxes stored, the head end received, still unsent at stop. */
  stored: number;
  received: number;
  unsentAtStop: number;
  /** Stored, not unsent, and never received: lost between outbox and head end (must be 0). */
  lost: number;
  /** Seqs skipped in what arrived (must be 0), and readings that arrived twice (QoS 1 allows it). */
  gaps: number;
  duplicates: number;
  processes: ProcessUsage[];
  /** Sum over the processes, % of one core (this machine has `cores`). */
  cpuTotalPct: number;
  cores: number;
  /** 1-minute load average when the window started: other work on the machine skews every number above. */
  loadAvg1: number;
  /** With credit: the head end's rebuild of every balance from the ledger streams, against each gateway's ledger. */
  ledger?: LedgerCheck;
  /** Every gateway heard, nothing lost, no gaps (with credit: and the ledger check ok). */
  ok: boolean;
}

/** Gateways per worker process when not given, up to one worker per core (docs/deploy.md, Fleet). */
export const GATEWAYS_PER_WORKER = 25;

/** A handful of gateways run in this process; more in worker processes, whose libuv pool is sized for them. */
export function defaultWorkers(gateways: number): number {
  if (gateways <= 4) return 0;
  return Math.min(Math.max(1, cpus().length), Math.ceil(gateways / GATEWAYS_PER_WORKER));
}

/**
 * node-sqlite3 runs every statement on the libuv pool (4 threads by default, enough for the one
 * outbox of a real gateway). With dozens of outboxes in one process, 4 threads capped a worker at
 * ~340 readings/s while it used a third of a core; one thread per outbox removed that limit.
 */
export function workerThreadpoolSize(gatewaysInWorker: number): number {
  return Math.min(128, Math.max(4, gatewaysInWorker + 4));
}

export async function runFleet(o: FleetOptions): Promise<FleetReport> {
  const durationS = o.durationS ?? 20;
  const pollMs = o.pollMs ?? 1000;
  const profile: ProfileName = o.profile ?? 'sdm630';
  const prefix = o.prefix ?? 'prepaid-edge';
  const workers = Math.min(o.workers ?? defaultWorkers(o.gateways), o.gateways);
  const progress = o.progress ?? (() => undefined);
  const clock = o.clock ?? systemClock;
  const sleep = (ms: number, signal?: AbortSignal) => sleepOn(clock, ms, signal);
  const dir = mkdtempSync(join(o.tmpDir ?? tmpdir(), 'prepaid-fleet-'));
  const tag = randomBytes(2).toString('hex');
  const ids = Array.from({ length: o.gateways }, (_, i) => `fleet-${tag}-${String(i + 1).padStart(3, '0')}`);

  const broker = await startFleetBroker(o.broker, dir);
  const head = new HeadEnd(new Set(ids), prefix, () => clock.now());
  const ledgerHead = o.credit ? new LedgerHeadEnd(new Set(ids), prefix) : undefined;
  const children: ChildProcess[] = [];
  try {
    await head.connect(broker.url, `prepaid-fleet-head-end-${tag}`);
    await ledgerHead?.connect(broker.url, `prepaid-fleet-ledger-head-end-${tag}`);
    progress(`broker ${broker.kind} ${broker.url}; starting ${o.gateways} gateways x ${o.meters} meters in ${workers || 'this'} process${workers > 1 ? 'es' : ''}`);
    const spec = (gatewayIds: string[]): FleetNodeSpec => ({ gatewayIds, meters: o.meters, profile, pollMs, brokerUrl: broker.url, prefix, dir, synchronous: o.synchronous ?? 'normal', ...(o.lingerMs !== undefined ? { lingerMs: o.lingerMs } : {}), ...(o.credit ? { credit: true } : {}), logLevel: o.logLevel ?? 'error' });
    let stopAll: (window: Window) => Promise<GatewayTally[]>;
    if (workers === 0) {
      const node = await startFleetNode(spec(ids), clock);
      stopAll = (window) => node.stop(window);
    } else {
      const shares = Array.from({ length: workers }, (_, w) => ids.filter((_, i) => i % workers === w));
      const handles = await Promise.all(shares.map((share) => startWorker(spec(share), children)));
      stopAll = async (window) => (await Promise.all(handles.map((h) => h.stop(window)))).flat();
    }

    const heardBy = clock.monotonic() + Math.max(30_000, pollMs * 5);
    while (head.gatewaysHeard() < o.gateways && clock.monotonic() < heardBy && !o.signal?.aborted) await sleep(100);
    progress(`${head.gatewaysHeard()}/${o.gateways} gateways heard; measuring for ${durationS} s`);

    const pids: Array<{ role: ProcessUsage['role']; pid: number }> = [{ role: workers ? 'head-end' : 'head-end+gateways', pid: process.pid }, ...children.map((c) => ({ role: 'worker' as const, pid: c.pid! }))];
    if (broker.pid && broker.pid !== process.pid) pids.push({ role: 'broker', pid: broker.pid });
    const before = new Map(pids.map((p) => [p.pid, sampleProcess(p.pid)]));
    const loadAvg1 = loadavg()[0] ?? 0;
    head.startWindow();
    await sleep(durationS * 1000, o.signal);
    const win = head.endWindow();
    const window = head.window();
    const after = new Map(pids.map((p) => [p.pid, sampleProcess(p.pid)]));

    progress('stopping gateways');
    const tallies = await stopAll(window);
    // What the broker accepted just before the stop may still be on its way to the head end.
    const quietBy = clock.monotonic() + 10_000;
    // lastArrival is wall time (the head end's clock), so the quiet test is too.
    while (clock.now() - head.lastArrival < 500 && clock.monotonic() < quietBy) await sleep(100);
    const ledgers = tallies.flatMap((t) => (t.ledger ? [t.ledger] : []));
    // The ledger stream drained at each gateway's stop (PUBACKed): wait until the head end has it all.
    if (ledgerHead) while (ledgers.some((l) => ledgerHead.lastSeq(l.id) < l.entries) && clock.monotonic() < quietBy) await sleep(100);
    const ledger = ledgerHead?.check(ledgers);

    let stored = 0, received = 0, unsent = 0, lost = 0, gaps = 0, duplicates = 0;
    // Taken within the window: arrived, or still in an outbox (lingering at the stop).
    let polled = head.polledReadings();
    for (const t of tallies)
      for (const m of t.meters) {
        const h = head.meter(t.id, m.meter);
        polled += m.unsentInWindow.filter((seq) => !head.hasReceived(t.id, m.meter, seq)).length;
        stored += m.lastSeq;
        received += h.received;
        unsent += m.unsent;
        // A message in flight at the stop is both received and still in the outbox: never negative.
        lost += Math.max(0, m.lastSeq - m.unsent - h.received);
        gaps += h.holes;
        duplicates += h.duplicates;
      }
    const processes = pids.flatMap(({ role, pid }) => usage(role, before.get(pid), after.get(pid), win.ms));
    const silentGateways = [...head.windowReadingsByGateway()].filter(([, n]) => n === 0).map(([g]) => g);
    const s = win.ms / 1000;
    return {
      gateways: o.gateways,
      metersPerGateway: o.meters,
      meters: o.gateways * o.meters,
      pollMs,
      lingerMs: fleetGatewayConfig(spec([]), 'probe', 1).mqtt.lingerMs ?? 0,
      profile,
      broker: { kind: broker.kind, url: broker.url },
      workers,
      windowS: round(s, 1),
      offeredPerS: round((o.gateways * o.meters * 1000) / pollMs, 1),
      polledPerS: round(polled / s, 1),
      deliveredPerS: round(win.readings / s, 1),
      messagesPerS: round(win.messages / s, 1),
      latencyMs: { p50: head.latency.percentile(0.5), p99: head.latency.percentile(0.99), max: Math.round(head.latency.max) },
      silentGateways,
      stored,
      received,
      unsentAtStop: unsent,
      lost,
      gaps,
      duplicates,
      processes,
      cpuTotalPct: round(processes.reduce((a, p) => a + p.cpuPct, 0), 1),
      cores: cpus().length,
      loadAvg1: round(loadAvg1, 2),
      ...(ledger ? { ledger } : {}),
      ok: silentGateways.length === 0 && lost === 0 && gaps === 0 && (ledger?.ok ?? true),
    };
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await head.close();
    await ledgerHead?.close();
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function startWorker(spec: FleetNodeSpec, children: ChildProcess[]): Promise<{ stop(window: Window): Promise<GatewayTally[]> }> {
  const env = { ...process.env, UV_THREADPOOL_SIZE: String(workerThreadpoolSize(spec.gatewayIds.length)) };
  const child = fork(fileURLToPath(new URL('./fleet-worker.js', import.meta.url)), [], { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.push(child);
  const next = () =>
    new Promise<FromWorker>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`fleet worker ${child.pid} exited (${code}) unexpectedly`));
      child.once('exit', onExit);
      child.once('message', (m: FromWorker) => {
        child.off('exit', onExit);
        if (m.type === 'error') reject(new Error(`fleet worker ${child.pid}: ${m.message}`));
        else resolve(m);
      });
    });
  const send = (m: ToWorker) => child.send(m);
  const ready = next();
  send({ type: 'start', spec });
  await ready;
  return {
    stop: async (window: Window) => {
      const done = next();
      send({ type: 'stop', window });
      const m = await done;
      return m.type === 'stopped' ? m.tallies : [];
    },
  };
}

function usage(role: ProcessUsage['role'], a: ProcSample | undefined, b: ProcSample | undefined, ms: number): ProcessUsage[] {
  if (!a || !b) return [];
  const mib = (n: number) => round(n / 2 ** 20, 1);
  return [{ role, pid: b.pid, cpuPct: round(((b.cpuMs - a.cpuMs) / ms) * 100, 1), rssMiB: mib(b.rssBytes), peakRssMiB: mib(b.peakRssBytes) }];
}

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;

function sleepOn(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = clock.setTimeout(done, ms);
    function done() {
      clock.clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
