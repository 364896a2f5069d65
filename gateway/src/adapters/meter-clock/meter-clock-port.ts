/** What the clock keeper needs of one meter (or of a whole line, for a broadcast). */
export interface MeterClockRead {
  /** The meter's clock, whole Unix seconds. */
  seconds: number;
  /** Gateway wall time when the request left and when the reply came, ms. */
  sentAt: number;
  receivedAt: number;
}

export interface MeterClockPort {
  /** The meter id, or for a broadcast the bus id (`meter` is then absent from events). */
  meter?: string;
  bus: string;
  kind: 'prepaid' | 'dlt645-broadcast' | 'dlt645';
  /** Only measured, never set by this port (a DL/T 645 meter: its line's broadcast sets it). */
  measureOnly?: boolean;
  /** Read the meter's clock; absent when it cannot be read (a broadcast reaches many meters). */
  read?: () => Promise<MeterClockRead>;
  /** Set the clock to the gateway's time; resolves with the time written (epoch ms). */
  set: () => Promise<number>;
}
