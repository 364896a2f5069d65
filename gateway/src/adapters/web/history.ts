/**
 * Power and energy of each meter over the last hours, for the console's charts: one point per
 * bucket (default a minute, 360 of them = 6 h) per meter, in memory only. A bucket holds the mean
 * power of the readings in it and the last energy register value.
 */
import type { NewReading } from '../../core/model.js';

export interface HistoryPoint {
  /** Bucket start, epoch ms. */
  t: number;
  /** Mean active power over the bucket's readings (W), null when no reading had it. */
  powerW: number | null;
  /** energyImport at the bucket's last reading (Wh), null when absent. */
  energyWh: number | null;
}

interface Bucket {
  t: number;
  powerSum: number;
  powerN: number;
  energyWh: number | null;
}

export class HistoryRing {
  private readonly meters = new Map<string, Bucket[]>();

  constructor(readonly bucketMs = 60_000, readonly buckets = 360) {}

  add(r: NewReading): void {
    const t = r.ts - (r.ts % this.bucketMs);
    let ring = this.meters.get(r.meter);
    if (!ring) this.meters.set(r.meter, (ring = []));
    let b = ring[ring.length - 1];
    if (!b || b.t !== t) {
      // A reading older than the newest bucket (clock step back) starts no new history.
      if (b && t < b.t) return;
      b = { t, powerSum: 0, powerN: 0, energyWh: null };
      ring.push(b);
      if (ring.length > this.buckets) ring.splice(0, ring.length - this.buckets);
    }
    const p = r.values.power;
    if (typeof p === 'number' && Number.isFinite(p)) {
      b.powerSum += p;
      b.powerN++;
    }
    const e = r.values.energyImport;
    if (typeof e === 'number' && Number.isFinite(e)) b.energyWh = e;
  }

  /** Points oldest first, those with t >= since. */
  series(meter: string, since = 0): HistoryPoint[] {
    return (this.meters.get(meter) ?? [])
      .filter((b) => b.t >= since)
      .map((b) => ({ t: b.t, powerW: b.powerN ? Math.round((b.powerSum / b.powerN) * 10) / 10 : null, energyWh: b.energyWh }));
  }
}
