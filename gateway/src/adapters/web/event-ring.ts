/** The latest events the gateway emitted (comm-lost, tripped, low-credit, ...), newest last. */
import type { NewEvent } from '../../core/model.js';

export interface ConsoleEvent extends NewEvent {
  /** Increases by one per event seen by this process (clients ask for `after`). */
  n: number;
}

export class EventRing {
  private readonly ring: ConsoleEvent[] = [];
  private next = 1;

  constructor(readonly capacity = 500) {}

  push(e: NewEvent): void {
    this.ring.push({ ...e, n: this.next++ });
    if (this.ring.length > this.capacity) this.ring.splice(0, this.ring.length - this.capacity);
  }

  /** At most `limit` of the newest events with n > after, oldest first. */
  latest(limit = 100, after = 0): ConsoleEvent[] {
    const xs = this.ring.filter((e) => e.n > after);
    return xs.slice(Math.max(0, xs.length - limit));
  }
}
