/**
 * Reminders to an HTTP webhook, from the SQLite outbox (`notify_outbox`): each one POSTed as JSON,
 * signed with HMAC-SHA256, retried with backoff until the receiver answers 2xx, and marked
 * delivered only then. Kept while offline, across restarts and crashes. A crash after the
 * receiver took a reminder but before its 2xx was stored sends it again: the receiver de-duplicates
 * by the event id (header X-Prepaid-Event-Id, also `id` in the body), so each is acted on once.
 *
 * Headers (docs/mqtt.md, "Reminders"):
 *   X-Prepaid-Event-Id   the reminder id, the de-dup key
 *   X-Prepaid-Timestamp  epoch ms of this attempt
 *   X-Prepaid-Signature  sha256=<hex HMAC-SHA256(key, "<timestamp>.<body>")>
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock, TimerHandle } from '@prepaid-edge/protocols';
import type { WebhookRules } from '../../core/rating/index.js';
import type { Logger } from '../log.js';
import type { Notification, RatingStore } from '../rating/rating-store.js';

export function signBody(secret: Buffer | string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** What a receiver does: recompute the signature over "<timestamp>.<raw body>" and compare. */
export function verifySignature(secret: Buffer | string, timestamp: string | number, body: string, signature: string): boolean {
  const want = Buffer.from(signBody(secret, Number(timestamp), body));
  const got = Buffer.from(signature);
  return want.length === got.length && timingSafeEqual(want, got);
}

/** Backoff after `attempts` failed tries: min * 2^(attempts-1), at most max. */
export function retryDelay(rules: Pick<WebhookRules, 'retryMinMs' | 'retryMaxMs'>, attempts: number): number {
  return Math.min(rules.retryMaxMs, rules.retryMinMs * 2 ** Math.max(0, Math.min(30, attempts - 1)));
}

export interface WebhookDeps {
  store: RatingStore;
  rules: WebhookRules;
  secret: Buffer;
  clock: Clock;
  log: Logger;
}

export class WebhookDeliverer {
  private timer: TimerHandle | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private inflight: AbortController | undefined;
  delivered = 0;
  failures = 0;

  constructor(private readonly deps: WebhookDeps) {}

  start(): void {
    this.kick();
  }

  /** Look for due reminders now (after new ones were queued). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.running = this.pump()
      .catch((e: Error) => this.deps.log.error({ err: e.message }, 'webhook delivery pass failed'))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        } else void this.arm();
      });
  }

  private async arm(): Promise<void> {
    if (this.stopped) return;
    const next = await this.deps.store.nextDue().catch(() => null);
    if (next === null || this.stopped || this.running) return;
    this.deps.clock.clearTimeout(this.timer);
    this.timer = this.deps.clock.setTimeout(() => this.kick(), Math.max(0, next - this.deps.clock.now()), { unref: true });
  }

  private async pump(): Promise<void> {
    for (;;) {
      const due = await this.deps.store.due(this.deps.clock.now());
      if (due.length === 0 || this.stopped) return;
      for (const n of due) {
        if (this.stopped) return;
        await this.attempt(n);
      }
    }
  }

  private async attempt(n: Notification): Promise<void> {
    const { rules, secret, clock, store, log } = this.deps;
    const body = JSON.stringify(n.payload);
    const ts = clock.now();
    const ctl = new AbortController();
    this.inflight = ctl;
    const timeout = clock.setTimeout(() => ctl.abort(new Error(`no answer within ${rules.timeoutMs} ms`)), rules.timeoutMs, { unref: true });
    let error: string | undefined;
    try {
      const res = await fetch(rules.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-prepaid-event-id': n.id, 'x-prepaid-timestamp': String(ts), 'x-prepaid-signature': signBody(secret, ts, body) },
        body,
        signal: ctl.signal,
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.status < 200 || res.status > 299) error = `HTTP ${res.status}`;
    } catch (e) {
      const cause = (e as { cause?: Error }).cause;
      error = ctl.signal.aborted ? String((ctl.signal.reason as Error)?.message ?? 'aborted') : `${(e as Error).message}${cause?.message ? `: ${cause.message}` : ''}`;
    } finally {
      clock.clearTimeout(timeout);
      this.inflight = undefined;
    }
    if (this.stopped && error) return;
    if (!error) {
      await store.markDelivered(n.id, clock.now());
      this.delivered++;
      log.info({ meter: n.meter, reminder: n.id, kind: n.kind, attempts: n.attempts + 1 }, 'reminder delivered');
      return;
    }
    this.failures++;
    const delay = retryDelay(rules, n.attempts + 1);
    await store.markFailed(n.id, clock.now() + delay, error);
    log.warn({ meter: n.meter, reminder: n.id, attempts: n.attempts + 1, err: error, retryInMs: delay }, 'reminder not delivered');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.deps.clock.clearTimeout(this.timer);
    this.inflight?.abort(new Error('stopping'));
    await this.running;
  }
}
