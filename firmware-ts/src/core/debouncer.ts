/**
 * Lockout debouncer for a digital input, on an injected clock (never on timers): a level change
 * counts when it comes at least `lockoutMs` after the previous accepted change; a change that comes
 * sooner is held as pending and counts once it has stayed for `lockoutMs` (seen at the next edge or
 * settle()). A blip back to the accepted level inside the lockout is contact bounce and is dropped.
 */
export type Level = 0 | 1;

export class Debouncer {
  private accepted: Level;
  private acceptedAt = -Infinity;
  private pending: Level | undefined;
  private pendingSince = 0;
  /** Changes that came too soon and were dropped as bounce. */
  bounces = 0;

  constructor(
    readonly lockoutMs: number,
    initial: Level,
    private readonly onChange: (level: Level, at: number) => void,
  ) {
    this.accepted = initial;
  }

  get level(): Level {
    return this.accepted;
  }

  feed(level: Level, at: number): void {
    this.settle(at);
    if (level === this.accepted) {
      if (this.pending !== undefined) this.bounces++;
      this.pending = undefined;
      return;
    }
    if (at - this.acceptedAt >= this.lockoutMs) {
      this.pending = undefined;
      this.accept(level, at);
      return;
    }
    this.pending = level;
    this.pendingSince = at;
  }

  /** Time passed without edges: a pending level that has been stable long enough counts now. */
  settle(now: number): void {
    if (this.pending === undefined || now - this.pendingSince < this.lockoutMs) return;
    const level = this.pending;
    this.pending = undefined;
    this.accept(level, this.pendingSince);
  }

  private accept(level: Level, at: number): void {
    this.accepted = level;
    this.acceptedAt = at;
    this.onChange(level, at);
  }
}
