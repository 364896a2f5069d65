/** A clock its owner moves: tests, and the simulator feeding simulated time to a virtual board. */
import type { Clock } from './core/meter-core.js';

export class SteppedClock implements Clock {
  constructor(private t = 0) {}
  now(): number {
    return this.t;
  }
  /** Move to `t`; a clock never runs backwards, so an earlier `t` is ignored. */
  set(t: number): void {
    if (t > this.t) this.t = t;
  }
  advance(ms: number): number {
    if (ms < 0) throw new RangeError('a clock never runs backwards');
    this.t += ms;
    return this.t;
  }
}
