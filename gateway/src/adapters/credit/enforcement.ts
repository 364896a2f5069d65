/**
 * Enforcement: the relays and the timers. A relay command is verified by readback (relay drivers)
 * and audited whatever its result; a rules action held by a maintenance override becomes an event;
 * each account has at most one wake-up timer, re-armed by every decision that says when.
 *
 * A failed relay command (mismatch or no answer) is retried slowly (core/credit/relay-retry.ts) for
 * as long as it fails, through the account's queue, each attempt audited. Events only at the state
 * changes: `relay-mismatch` (or `alarm`) when it starts failing, `relay-mismatch-cleared` when a
 * retry verifies. Any later relay command for the meter replaces the pending retry.
 */
import type { Clock, TimerHandle } from '@prepaid-edge/protocols';
import type { NewEvent } from '../../core/model.js';
import type { RelayDriver, SupplyState } from '../../core/credit/contracts.js';
import type { RelayIntent } from '../../core/credit/decision.js';
import { DEFAULT_RELAY_RETRY, relayRetryDelay, type RelayRetryPolicy } from '../../core/credit/relay-retry.js';
import type { Ledger } from '../store/ledger/index.js';
import type { Logger } from '../log.js';
import type { AccountMemory } from './account-memory.js';

/** The longest a timer is armed for; a longer wake is re-armed (timers overflow at 2^31 ms). */
const MAX_TIMER_MS = 6 * 3_600_000;

export interface EnforcementDeps {
  clock: Clock;
  ledger: Pick<Ledger, 'audit'>;
  log: Logger;
  event: (e: NewEvent) => void;
  relayFor: (meter: string) => RelayDriver | undefined;
  memory: AccountMemory;
  /** A timer fired: re-run the account's rules (queued by the caller). */
  onWake: (meter: string) => void;
  /** Run `fn` in the account's queue (so a retry never races a decision for the same meter). */
  queue: (meter: string, fn: () => Promise<unknown>) => void;
  retry?: RelayRetryPolicy;
}

/** A relay command that failed and is being retried. */
interface Failing {
  target: SupplyState;
  cause: string;
  /** Retries made so far. */
  retries: number;
  since: number;
  timer: TimerHandle | undefined;
}

export class Enforcement {
  private readonly timers = new Map<string, TimerHandle>();
  private readonly failing = new Map<string, Failing>();
  private stopped = false;

  constructor(private readonly deps: EnforcementDeps) {}

  /** Carry out one relay intent; returns what the driver read back (undefined: none or failed). */
  async carry(meter: string, i: RelayIntent): Promise<SupplyState | undefined> {
    if (i.kind === 'set') return this.setRelay(meter, i.target, i.cause);
    if (i.kind === 'held') {
      this.emit(meter, 'relay-action-held', { action: i.action, cause: i.cause, override: { ...i.override } });
      return undefined;
    }
    // After an override: an armed account whose relay is closed stays so.
    const got = this.deps.memory.readback(meter);
    if ((got === undefined && !i.drive) || got === i.want || (i.want === 'ready-for-reconnection' && got === 'connected')) return undefined;
    return this.setRelay(meter, i.want, i.cause);
  }

  /** Drive the relay (verified by readback) and audit the result, whatever it is; a failure is retried slowly. */
  async setRelay(meter: string, target: SupplyState, cause: string): Promise<SupplyState | undefined> {
    const prior = this.failing.get(meter);
    if (prior) {
      this.deps.clock.clearTimeout(prior.timer);
      this.failing.delete(meter);
    }
    // A new command for another state ends the old fault as far as retries go; its own result decides what follows.
    return this.drive(meter, target, cause, prior && prior.target === target ? prior : undefined);
  }

  /** Relay commands being retried, by meter (status, console). */
  failingRelays(): Array<{ meter: string; target: SupplyState; retries: number; since: number }> {
    return [...this.failing].map(([meter, f]) => ({ meter, target: f.target, retries: f.retries, since: f.since }));
  }

  private async drive(meter: string, target: SupplyState, cause: string, prior: Failing | undefined): Promise<SupplyState | undefined> {
    const { ledger, clock } = this.deps;
    const driver = this.deps.relayFor(meter);
    if (!driver) {
      await ledger.audit({ ts: clock.now(), meter, action: `relay-${target}`, cause, detail: { result: 'no relay driver for this meter' } });
      this.emit(meter, 'relay-unavailable', { target, cause });
      return undefined;
    }
    try {
      const status = await driver.set(target, cause);
      this.deps.memory.setReadback(meter, status.state);
      await ledger.audit({ ts: clock.now(), meter, action: `relay-${target}`, cause, detail: { result: 'verified', readback: status.state, raw: status.raw ?? null, ...(prior ? { retry: prior.retries } : {}) } });
      if (prior) this.emit(meter, 'relay-mismatch-cleared', { target, cause, retries: prior.retries, since: prior.since });
      this.emit(meter, target === 'disconnected' ? 'tripped' : target === 'connected' ? 'relay-closed' : 'relay-armed', { cause, readback: status.state });
      return status.state;
    } catch (e) {
      const err = e as Error & { code?: string; context?: Record<string, unknown> };
      const f: Failing = prior ? { ...prior, retries: prior.retries + 1 } : { target, cause, retries: 0, since: clock.now(), timer: undefined };
      const retryInMs = relayRetryDelay(f.retries + 1, this.deps.retry ?? DEFAULT_RELAY_RETRY);
      await ledger.audit({ ts: clock.now(), meter, action: `relay-${target}`, cause, detail: { result: 'failed', code: err.code ?? null, error: err.message, ...(prior ? { retry: f.retries } : {}), retryInMs } });
      if (!prior) {
        this.emit(meter, err.code === 'E_RELAY_MISMATCH' ? 'relay-mismatch' : 'alarm', { target, cause, code: err.code ?? null, error: err.message, ...(err.context ?? {}), retryInMs });
        this.deps.log.error({ meter, code: err.code, err: err.message, target, retryInMs }, 'relay command failed');
      }
      this.scheduleRetry(meter, f, retryInMs);
      return undefined;
    }
  }

  private scheduleRetry(meter: string, f: Failing, ms: number): void {
    if (this.stopped) return;
    const t = this.deps.clock.setTimeout(() => {
      if (this.failing.get(meter) !== f) return;
      this.deps.queue(meter, async () => {
        // Replaced meanwhile by a newer command (or stopped): nothing to do.
        if (this.failing.get(meter) !== f || this.stopped) return;
        this.failing.delete(meter);
        await this.drive(meter, f.target, f.cause, f);
      });
    }, ms);
    (t as unknown as { unref?: () => void }).unref?.();
    f.timer = t;
    this.failing.set(meter, f);
  }

  /** (Re-)arm the account's timer for `wakeAt`, or clear it (null). */
  arm(meter: string, wakeAt: number | null): void {
    const { clock } = this.deps;
    clock.clearTimeout(this.timers.get(meter));
    this.timers.delete(meter);
    if (wakeAt === null || this.stopped) return;
    const ms = Math.max(0, Math.min(MAX_TIMER_MS, wakeAt - clock.now()));
    const t = clock.setTimeout(() => {
      this.timers.delete(meter);
      this.deps.onWake(meter);
    }, ms);
    // The system clock's handle is a Node timer: a wake-up alone must not keep the process alive.
    (t as unknown as { unref?: () => void }).unref?.();
    this.timers.set(meter, t);
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) this.deps.clock.clearTimeout(t);
    this.timers.clear();
    for (const f of this.failing.values()) this.deps.clock.clearTimeout(f.timer);
    this.failing.clear();
  }

  private emit(meter: string, type: string, data: Record<string, unknown>): void {
    this.deps.event({ ts: this.deps.clock.now(), type, meter, data } as NewEvent);
  }
}
