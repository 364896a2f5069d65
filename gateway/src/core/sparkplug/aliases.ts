/**
 * Metric aliases (Sparkplug 3.0 §6.4.7): births carry name and alias, DDATA the alias only, which
 * is most of the bytes of a DDATA. Unique across the whole edge node, stable for the process.
 */
export class AliasTable {
  private readonly byKey = new Map<string, number>();
  private next = 1;

  alias(device: string, metric: string): number {
    const key = `${device}\u0000${metric}`;
    let a = this.byKey.get(key);
    if (a === undefined) this.byKey.set(key, (a = this.next++));
    return a;
  }

  /** The alias if one was given out, else undefined (a host cannot know an alias we never sent). */
  peek(device: string, metric: string): number | undefined {
    return this.byKey.get(`${device}\u0000${metric}`);
  }
}
