/**
 * One transaction at a time on a bus (RS-485 is half duplex; a TCP-to-RTU converter is too).
 * Writes from commands jump ahead of queued reads; every transaction is followed by the bus's
 * inter-frame delay. The queue never rejects on its own: a task's failure is its caller's.
 * A session holds the bus for several transactions (one meter poll and its immediate retries).
 */
import { systemClock, type Clock } from '@prepaid-edge/protocols';

/** Runs one transaction inside a session. */
export type Transact = <T>(op: () => Promise<T>) => Promise<T>;

type Task = { run: () => Promise<unknown>; resolve: (v: unknown) => void; reject: (e: unknown) => void };

export class BusQueue {
  private readonly high: Task[] = [];
  private readonly low: Task[] = [];
  private busy = false;
  private closed = false;
  private idle: Array<() => void> = [];
  transactions = 0;

  constructor(
    private readonly interFrameDelayMs = 0,
    private readonly clock: Pick<Clock, 'setTimeout'> = systemClock,
  ) {}

  get depth(): number {
    return this.high.length + this.low.length + (this.busy ? 1 : 0);
  }

  /** Queue a transaction; `priority: 'high'` for commands (relay, thresholds). */
  run<T>(fn: () => Promise<T>, priority: 'high' | 'low' = 'low'): Promise<T> {
    if (this.closed) return Promise.reject(new Error('bus queue closed'));
    return new Promise<T>((resolve, reject) => {
      (priority === 'high' ? this.high : this.low).push({ run: fn, resolve: resolve as (v: unknown) => void, reject });
      this.pump();
    });
  }

  /**
   * Hold the bus for several transactions in a row: `fn` gets `tx`, which runs one transaction
   * (counted, and followed by the inter-frame delay like any other). Nothing else gets the bus
   * until `fn` settles, so a retry goes out at once instead of behind every queued poll.
   */
  session<T>(fn: (tx: Transact) => Promise<T>, priority: 'high' | 'low' = 'low'): Promise<T> {
    let first = true;
    const tx: Transact = async (op) => {
      if (!first) {
        this.transactions++;
        await this.gap();
      }
      first = false;
      return op();
    };
    return this.run(() => fn(tx), priority);
  }

  /** Resolves when the transaction in flight (if any) is done; queued ones are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of [...this.high.splice(0), ...this.low.splice(0)]) t.reject(new Error('bus queue closed'));
    if (this.busy) await new Promise<void>((r) => this.idle.push(r));
  }

  /** The inter-frame delay. */
  private async gap(): Promise<void> {
    if (this.interFrameDelayMs > 0) await new Promise<void>((r) => this.clock.setTimeout(r, this.interFrameDelayMs));
  }

  private pump(): void {
    if (this.busy) return;
    const task = this.high.shift() ?? this.low.shift();
    if (!task) return;
    this.busy = true;
    this.transactions++;
    task
      .run()
      .then(task.resolve, task.reject)
      .finally(async () => {
        await this.gap();
        this.busy = false;
        for (const r of this.idle.splice(0)) r();
        this.pump();
      });
  }
}
