/**
 * One job at a time on the single SQLite connection. Reads run between transactions, never inside
 * one, so they only ever see committed rows (an uncommitted row could be rolled back and its seq
 * given to another reading after it was published).
 */
export class Lane {
  private tail: Promise<unknown> = Promise.resolve();
  private queued = 0;

  run<T>(job: () => Promise<T>): Promise<T> {
    this.queued++;
    const p = this.tail.then(job);
    this.tail = p.then(
      () => this.queued--,
      () => this.queued--,
    );
    return p;
  }

  /** Resolves once every job queued so far has finished. */
  idle(): Promise<void> {
    return this.tail.then(() => undefined);
  }

  get depth(): number {
    return this.queued;
  }
}
