/**
 * The loop every relay driver shares: read, command, read back, retry with exponential backoff,
 * and give up with E_RELAY_MISMATCH (readback never matched) or E_RELAY_REFUSED (the meter said no).
 * Drivers supply only `read` and `command`; waits and elapsed times come from the clock.
 */
import { PrepaidError, systemClock, type Clock } from '@prepaid-edge/protocols';
import type { RelayStatus, SupplyState } from '../../core/credit/contracts.js';

/** One command-and-readback attempt, for the audit log. */
export interface RelayAttempt {
  meter: string;
  target: SupplyState;
  cause: string;
  /** 1-based; 0 = the initial read found the relay already in the target state (no command sent). */
  attempt: number;
  outcome: 'ok' | 'already' | 'mismatch' | 'refused' | 'error';
  /** Readback after the command (absent when the read itself failed). */
  got?: RelayStatus;
  /** Code of the failure, when outcome is 'refused' or 'error'. */
  error?: string;
  /** Monotonic ms from the start of `set` (from `opts.now`). */
  elapsedMs: number;
}

export interface RelayHooks {
  /** Called after every attempt (and once with attempt 0 when no command was needed). */
  onAttempt?: (a: RelayAttempt) => void;
  /** Called once before E_RELAY_MISMATCH is thrown: raise the alarm event here. */
  onMismatch?: (e: PrepaidError) => void;
}

export interface RetryOptions {
  /** Command attempts before E_RELAY_MISMATCH; default 3. */
  attempts?: number;
  /** Wait before the second attempt; doubles each time. Default 200 ms. */
  initialDelayMs?: number;
  /** Cap on one wait; default 5000 ms. */
  maxDelayMs?: number;
  /** Waits (its timers) and `elapsedMs` (its monotonic time); default the system clock. */
  clock?: Clock;
  /** Replaces the clock's waits (tests that record the delays and never wait). */
  sleep?: (ms: number) => Promise<void>;
  /** Replaces the clock's monotonic time for `elapsedMs`. */
  now?: () => number;
}

export type RelayDriverOptions = RetryOptions & RelayHooks;

export const DEFAULT_RETRY = { attempts: 3, initialDelayMs: 200, maxDelayMs: 5000 } as const;

/** Wait `ms` on `clock`. */
export const sleepOn = (clock: Clock, ms: number): Promise<void> => new Promise((r) => clock.setTimeout(r, ms));

/** The wait of these options: `sleep` if given, else a timer on the clock. */
export function sleeperOf(o: RetryOptions): (ms: number) => Promise<void> {
  const clock = o.clock ?? systemClock;
  return o.sleep ?? ((ms) => sleepOn(clock, ms));
}

/** Waits before attempt 2, 3, …: initial, 2×initial, … capped at max. */
export function backoffDelays(o: RetryOptions = {}): number[] {
  const n = o.attempts ?? DEFAULT_RETRY.attempts;
  const first = o.initialDelayMs ?? DEFAULT_RETRY.initialDelayMs;
  const max = o.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs;
  return Array.from({ length: Math.max(0, n - 1) }, (_, i) => Math.min(max, first * 2 ** i));
}

/**
 * Does a readback satisfy the target? 'ready-for-reconnection' is also satisfied by 'connected':
 * the customer may press the button between command and readback, and no meter opens a connected
 * relay to arm it (IC 70 has no remote connected -> ready transition).
 */
export function satisfies(target: SupplyState, got: SupplyState): boolean {
  return got === target || (target === 'ready-for-reconnection' && got === 'connected');
}

/** Errors that mean "the meter answered no": never retried. */
export function isRefusal(e: unknown): boolean {
  return e instanceof PrepaidError && (e.code === 'E_MODBUS_EXCEPTION' || e.code === 'E_DLT645_ERROR' || e.code === 'E_RELAY_REFUSED');
}

export interface VerifiedSetSpec {
  meter: string;
  target: SupplyState;
  cause: string;
  read: () => Promise<RelayStatus>;
  command: (target: SupplyState) => Promise<void>;
  /** Wait between command and readback (a feedback contact needs a few ms); default 0. */
  settleMs?: number;
}

export async function verifiedSet(spec: VerifiedSetSpec, o: RelayDriverOptions = {}): Promise<RelayStatus> {
  const { meter, target, cause } = spec;
  const clock = o.clock ?? systemClock;
  const now = o.now ?? (() => clock.monotonic());
  const sleep = sleeperOf(o);
  const t0 = now();
  const report = (a: Omit<RelayAttempt, 'meter' | 'target' | 'cause' | 'elapsedMs'>) =>
    o.onAttempt?.({ meter, target, cause, elapsedMs: now() - t0, ...a });

  // Read first: a relay already in the target state gets no command, so the meter logs no
  // duplicate event and a trip never overwrites the reason the relay opened for.
  let got: RelayStatus | undefined;
  try {
    got = await spec.read();
  } catch {
    got = undefined; // unreadable now: command anyway, the readback decides
  }
  if (got && satisfies(target, got.state)) {
    report({ attempt: 0, outcome: 'already', got });
    return got;
  }

  const delays = backoffDelays(o);
  const attempts = delays.length + 1;
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (attempt > 1) await sleep(delays[attempt - 2]!);
    got = undefined;
    try {
      await spec.command(target);
      if (spec.settleMs) await sleep(spec.settleMs);
      got = await spec.read();
    } catch (e) {
      if (e instanceof PrepaidError && e.code === 'E_RELAY_UNSUPPORTED') throw e;
      if (isRefusal(e)) {
        const code = (e as PrepaidError).code;
        report({ attempt, outcome: 'refused', error: code });
        throw new PrepaidError('E_RELAY_REFUSED', `meter ${meter} refused relay ${target}: ${(e as Error).message}`, { meter, wanted: target, attempts: attempt, error: code }, { cause: e });
      }
      lastError = e;
      report({ attempt, outcome: 'error', error: e instanceof PrepaidError ? e.code : String(e) });
      continue;
    }
    if (satisfies(target, got.state)) {
      report({ attempt, outcome: 'ok', got });
      return got;
    }
    report({ attempt, outcome: 'mismatch', got });
  }
  const err = new PrepaidError(
    'E_RELAY_MISMATCH',
    `meter ${meter}: relay readback ${got?.state ?? 'unreadable'} after ${attempts} attempts to set ${target}`,
    {
      meter,
      wanted: target,
      got: got?.state ?? null,
      attempts,
      ...(got?.raw ? { raw: got.raw } : {}),
      ...(lastError instanceof PrepaidError && !got ? { error: lastError.code } : {}),
    },
    lastError && !got ? { cause: lastError } : undefined,
  );
  o.onMismatch?.(err);
  throw err;
}

/** Runs one `set` at a time per driver: an arm and a connect racing would interleave their writes. */
export class OneAtATime {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
