/**
 * Bus scans started from the console: one job per request, progress kept for polling. A scan
 * talks to a serial line on its own, so it is refused on a path the gateway polls (the bus queue
 * would not know about it and both would garble each other's frames).
 */
import { randomUUID } from 'node:crypto';
import { PrepaidError, systemClock, type Clock, type TimerHandle } from '@prepaid-edge/protocols';
import type { BusConfig, Parity } from '../../core/config/gateway-config.js';

export interface ScanRequest {
  path: string;
  protocol: 'modbus' | 'dlt645';
  baudRates: number[];
  parities: Parity[];
  /** Modbus unit ids to try (inclusive). */
  units: { from: number; to: number };
  /** Reply timeout per probe, ms (default: the scan engine's, from the wire time). */
  timeoutMs?: number;
}

export interface ScanHit {
  unit?: number;
  address?: string;
  baudRate: number;
  parity: Parity;
  /** Profile the meter was recognised as, when it was. */
  profile?: string;
  /** Stop bits of the line setting it answered at. */
  stopBits?: 1 | 2;
  /** "9600 8E1": baud rate and character format, as the technician sets it. */
  line?: string;
  /** Without a profile: the profiles it could be, and why none was chosen. */
  candidates?: string[];
  problem?: string;
  detail?: Record<string, unknown>;
}

export interface ScanProgress {
  done: number;
  total: number;
  /** What is being probed now, e.g. "9600 8E1 unit 17". */
  current?: string;
  found: ScanHit[];
}

/** The scan engine behind the console (gateway/src/scan), or a fake in tests. */
export type ScanRunner = (req: ScanRequest, onProgress: (p: ScanProgress) => void, signal: AbortSignal) => Promise<ScanHit[]>;

export interface ScanJob {
  id: string;
  user: string;
  request: ScanRequest;
  state: 'running' | 'done' | 'failed' | 'cancelled';
  startedAt: number;
  endedAt: number | null;
  progress: ScanProgress;
  error: { code: string; message: string } | null;
}

/** Paths the gateway itself uses: never scanned. */
export function busPaths(buses: readonly BusConfig[]): Set<string> {
  return new Set(buses.flatMap((b) => ('path' in b ? [b.path] : [])));
}

export class ScanJobs {
  private readonly jobs = new Map<string, ScanJob>();
  private readonly aborts = new Map<string, AbortController>();
  private readonly runs = new Set<Promise<void>>();
  private readonly clock: Clock;

  /** `clock`: wall time for startedAt/endedAt, a timer for close()'s bound (default: the system clock). */
  constructor(private readonly o: { runner: () => Promise<ScanRunner>; buses: readonly BusConfig[]; clock?: Clock; keep?: number }) {
    this.clock = o.clock ?? systemClock;
  }

  start(request: ScanRequest, user: string): ScanJob {
    if (busPaths(this.o.buses).has(request.path)) {
      throw new PrepaidError('E_CONTROL_REQUEST', `path: ${request.path} is a bus the gateway polls; scan a spare line (or stop the gateway and use the technician CLI)`, { path: 'path', serial: request.path });
    }
    if ([...this.jobs.values()].some((j) => j.state === 'running' && j.request.path === request.path)) {
      throw new PrepaidError('E_CONTROL_REQUEST', `path: a scan of ${request.path} is already running`, { path: 'path', serial: request.path });
    }
    const total = request.protocol === 'modbus' ? request.baudRates.length * request.parities.length * (request.units.to - request.units.from + 1) : request.baudRates.length * request.parities.length;
    const job: ScanJob = { id: randomUUID(), user, request, state: 'running', startedAt: this.clock.now(), endedAt: null, progress: { done: 0, total, found: [] }, error: null };
    this.jobs.set(job.id, job);
    this.prune();
    const ac = new AbortController();
    this.aborts.set(job.id, ac);
    const running = (async () => {
      try {
        const run = await this.o.runner();
        const found = await run(request, (p) => (job.progress = { ...p, found: [...p.found] }), ac.signal);
        job.progress = { ...job.progress, done: job.progress.total, found };
        job.state = ac.signal.aborted ? 'cancelled' : 'done';
      } catch (e) {
        const err = e as Error & { code?: string };
        job.state = ac.signal.aborted ? 'cancelled' : 'failed';
        job.error = { code: err.code ?? 'E_BUS_UNAVAILABLE', message: err.message };
      } finally {
        job.endedAt = this.clock.now();
        this.aborts.delete(job.id);
      }
    })();
    this.runs.add(running);
    void running.finally(() => this.runs.delete(running));
    return job;
  }

  get(id: string): ScanJob | undefined {
    return this.jobs.get(id);
  }

  list(): ScanJob[] {
    return [...this.jobs.values()];
  }

  /** Stop every running scan and wait (bounded) for them to release their lines. */
  async close(): Promise<void> {
    for (const ac of this.aborts.values()) ac.abort();
    if (this.runs.size === 0) return;
    let timer: TimerHandle | undefined;
    const bound = new Promise<void>((r) => (timer = this.clock.setTimeout(r, 5000)));
    await Promise.race([Promise.allSettled([...this.runs]), bound]);
    this.clock.clearTimeout(timer);
  }

  private prune(): void {
    const keep = this.o.keep ?? 20;
    const ended = [...this.jobs.values()].filter((j) => j.state !== 'running');
    for (const j of ended.slice(0, Math.max(0, this.jobs.size - keep))) this.jobs.delete(j.id);
  }
}
