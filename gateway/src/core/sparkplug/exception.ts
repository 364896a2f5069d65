/**
 * Report by exception: per device, the last value reported for each metric; a new reading yields
 * only the metrics that moved at least their deadband (or appeared). Births reset the baseline.
 */
import { metricSpec, type MetricSpec } from './metrics.js';

export class ExceptionFilter {
  private readonly last = new Map<string, Map<string, number>>();
  private readonly specs = new Map<string, MetricSpec>();
  constructor(private readonly deadbands: Readonly<Record<string, number>> = {}) {}

  spec(name: string): MetricSpec {
    let s = this.specs.get(name);
    if (!s) this.specs.set(name, (s = metricSpec(name, this.deadbands)));
    return s;
  }

  /** The device was (re)born with these values: they are the new baseline. */
  born(device: string, values: Record<string, number>): void {
    this.last.set(device, new Map(Object.entries(values)));
  }

  forget(device: string): void {
    this.last.delete(device);
  }

  /** Names in `values` the device has not been born with: a DBIRTH is needed first. */
  unknown(device: string, values: Record<string, number>): string[] {
    const seen = this.last.get(device);
    return Object.keys(values).filter((k) => !seen?.has(k));
  }

  /** Metrics to report now (and remembered as reported). */
  changed(device: string, values: Record<string, number>): string[] {
    let seen = this.last.get(device);
    if (!seen) this.last.set(device, (seen = new Map()));
    const out: string[] = [];
    for (const [name, v] of Object.entries(values)) {
      const prev = seen.get(name);
      const band = this.spec(name).deadband;
      if (prev === undefined || (band === 0 ? v !== prev : Math.abs(v - prev) >= band)) {
        seen.set(name, v);
        out.push(name);
      }
    }
    return out;
  }
}
