/** The edge node's message counter: 0 on NBIRTH, +1 on every later message, 255 wraps to 0. */
export class SeqCounter {
  private n = 0;
  /** For NBIRTH: back to 0 and returns 0. */
  reset(): number {
    this.n = 0;
    return 0;
  }
  next(): number {
    this.n = (this.n + 1) & 0xff;
    return this.n;
  }
  get current(): number {
    return this.n;
  }
}

/** bdSeq for the next connection: +1 on every new CONNECT, 255 wraps to 0. */
export function nextBdSeq(previous: number | undefined): number {
  return previous === undefined ? 0 : (previous + 1) & 0xff;
}
