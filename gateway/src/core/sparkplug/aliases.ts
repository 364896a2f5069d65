/**
 * Metric aliases (Sparkplug 3.0 §6.4.7): births carry name and alias, DDATA the alias only, which
 * is most of the bytes of a DDATA. Unique across the whole edge node, stable for the process.
 */
export class AliasTable {
  private readonly byDevice = new Map<string, Map<string, number>>();
  private next = 1;

  alias(device: string, metric: string): number {
    let d = this.byDevice.get(device);
    if (!d) this.byDevice.set(device, (d = new Map()));
    let a = d.get(metric);
    if (a === undefined) d.set(metric, (a = this.next++));
    return a;
  }

  /** The alias if one was given out, else undefined (a host cannot know an alias we never sent). */
  peek(device: string, metric: string): number | undefined {
    return this.byDevice.get(device)?.get(metric);
  }
}
