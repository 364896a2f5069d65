/** Latencies in 1 ms buckets up to 60 s (bounded memory whatever the run length); above that, one overflow bucket. */
const BUCKETS = 60_000;

export class LatencyHistogram {
  private readonly counts = new Uint32Array(BUCKETS + 1);
  count = 0;
  max = 0;

  add(ms: number): void {
    const b = Math.min(BUCKETS, Math.max(0, Math.round(ms)));
    this.counts[b]!++;
    this.count++;
    if (ms > this.max) this.max = ms;
  }

  /** The smallest bucket (ms) at or below which a fraction `p` (0..1) of the samples lie; null when empty. */
  percentile(p: number): number | null {
    if (this.count === 0) return null;
    const rank = Math.max(1, Math.ceil(p * this.count));
    let seen = 0;
    for (let b = 0; b <= BUCKETS; b++) {
      seen += this.counts[b]!;
      if (seen >= rank) return b === BUCKETS ? Math.round(this.max) : b;
    }
    return Math.round(this.max);
  }
}
