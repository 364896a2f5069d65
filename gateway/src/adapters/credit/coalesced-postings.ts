/**
 * Postings from many accounts committed together: every post() made while a transaction is in
 * flight joins the next one (Ledger.postMany, one fsync for all), so charging thousands of meters
 * costs a few transactions, not one each. Each posting still succeeds or fails on its own.
 */
import type { Ledger, PostResult, Posting } from '../store/ledger/index.js';

type Waiting = { posting: Posting; resolve: (r: PostResult) => void; reject: (e: unknown) => void };

export class CoalescedPostings {
  private queue: Waiting[] = [];
  private running = false;
  /** Transactions committed and postings in them (for status and benchmarks). */
  readonly stats = { transactions: 0, postings: 0 };

  constructor(
    private readonly ledger: Ledger,
    private readonly maxPerTransaction = 5000,
  ) {}

  post(posting: Posting): Promise<PostResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ posting, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length) {
        const batch = this.queue.splice(0, this.maxPerTransaction);
        try {
          const results = await this.ledger.postMany(batch.map((w) => w.posting));
          this.stats.transactions++;
          this.stats.postings += batch.length;
          results.forEach((r, i) => (r.ok ? batch[i]!.resolve(r) : batch[i]!.reject(r.error)));
        } catch (e) {
          for (const w of batch) w.reject(e);
        }
      }
    } finally {
      this.running = false;
    }
  }
}
