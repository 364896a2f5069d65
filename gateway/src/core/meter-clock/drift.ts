/**
 * A meter clock's offset from the gateway's, from one read. The meter counts whole seconds; the read
 * happened somewhere between sending the request (`sentAt`) and receiving the reply (`receivedAt`),
 * gateway wall time. Pure.
 */
export interface ClockDrift {
  /** Meter minus gateway, ms (positive: the meter is ahead). */
  driftMs: number;
  /** ± this many ms. */
  uncertaintyMs: number;
}

export function meterClockDrift(meterSeconds: number, sentAt: number, receivedAt: number): ClockDrift {
  if (!Number.isInteger(meterSeconds) || meterSeconds < 0) throw new RangeError(`meter clock ${meterSeconds}: not whole seconds`);
  if (!(receivedAt >= sentAt)) throw new RangeError(`reply at ${receivedAt} before the request at ${sentAt}`);
  // The meter's true time lies in [s, s + 1) s; the gateway's in [sentAt, receivedAt].
  const meterMid = meterSeconds * 1000 + 500;
  const gatewayMid = (sentAt + receivedAt) / 2;
  return { driftMs: Math.round(meterMid - gatewayMid), uncertaintyMs: Math.ceil(500 + (receivedAt - sentAt) / 2) };
}
