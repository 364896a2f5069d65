/**
 * Runs the ledger's replay check (Ledger.verify) at start and then daily, and keeps the last
 * result for the status and /metrics (prepaid_ledger_verify_ok): a scrape never runs the check.
 */
import { every, type Clock } from '@prepaid-edge/protocols';
import type { Logger } from '../../log.js';
import type { Ledger } from './ledger.js';
import type { Mismatch } from '../../../core/ledger/types.js';

export const VERIFY_EVERY_MS = 24 * 3_600_000;

export interface VerifyResult {
  ok: boolean;
  /** When the check finished (epoch ms). */
  at: number;
  /** How long it took (ms). */
  tookMs: number;
  mismatches: Mismatch[];
  /** The check could not run (the database could not be read). */
  error?: string;
}

export class LedgerVerifier {
  last: VerifyResult | undefined;
  private stopTimer: (() => void) | undefined;
  private running: Promise<VerifyResult> | undefined;

  constructor(
    private readonly ledger: Pick<Ledger, 'verify'>,
    private readonly clock: Clock,
    private readonly log?: Pick<Logger, 'info' | 'error'>,
    private readonly everyMs = VERIFY_EVERY_MS,
  ) {}

  /** The first check now (not awaited), then every `everyMs`. */
  start(): void {
    void this.run();
    this.stopTimer = every(this.clock, this.everyMs, () => void this.run(), { unref: true });
  }

  run(): Promise<VerifyResult> {
    this.running ??= (async () => {
      const t0 = this.clock.monotonic();
      let r: VerifyResult;
      try {
        const v = await this.ledger.verify();
        r = { ok: v.ok, at: this.clock.now(), tookMs: Math.round(this.clock.monotonic() - t0), mismatches: v.mismatches };
      } catch (e) {
        r = { ok: false, at: this.clock.now(), tookMs: Math.round(this.clock.monotonic() - t0), mismatches: [], error: (e as Error).message };
      }
      this.last = r;
      if (r.ok) this.log?.info({ tookMs: r.tookMs }, 'ledger verified');
      else this.log?.error({ mismatches: r.mismatches.slice(0, 20), error: r.error }, 'ledger verify found mismatches');
      return r;
    })().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Stops the timer and waits for a check in flight. */
  async stop(): Promise<void> {
    this.stopTimer?.();
    await this.running;
  }
}
