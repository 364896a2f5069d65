/**
 * Shapes that flow between the gateway's parts: acquisition -> store (outbox) -> uplink (MQTT).
 * Values are in canonical units (protocols MEASUREMENTS): energy in integer Wh, power in W, ...
 */

/** A reading before the store has given it a sequence number. */
export interface NewReading {
  meter: string;
  /** Epoch ms UTC when the values were read. */
  ts: number;
  values: Record<string, number>;
}

/** A reading as stored: `seq` increases by one per meter, survives restarts, is never reused. */
export interface StoredReading extends NewReading {
  /** Outbox row id (monotonic across meters), used to delete after PUBACK. */
  id: number;
  seq: number;
}

/** Kinds of event; events are never dropped from the outbox. */
export type EventType =
  | 'comm-lost'
  | 'comm-restored'
  | 'read-rejected'
  | 'readings-dropped'
  | 'counter-reset'
  | 'relay'
  | 'relay-mismatch'
  | 'relay-mismatch-cleared'
  | 'credit'
  | 'tamper'
  | 'alarm'
  | 'gateway-started'
  | 'gateway-stopped'
  | (string & {});

export interface NewEvent {
  ts: number;
  type: EventType;
  meter?: string;
  data?: Record<string, unknown>;
}

export interface StoredEvent extends Required<Omit<NewEvent, 'meter'>> {
  id: number;
  meter?: string;
}

export interface OutboxStats {
  readings: number;
  readingBytes: number;
  events: number;
  /** Readings dropped because the outbox was full, since the database was created. */
  dropped: number;
}

/**
 * The durable outbox. Every method resolves only after the change is committed to SQLite.
 */
export interface Outbox {
  /** Assign per-meter seqs and commit; drops the oldest readings first when over the bounds. */
  appendReadings(batch: readonly NewReading[]): Promise<StoredReading[]>;
  appendEvent(e: NewEvent): Promise<StoredEvent>;
  /** Oldest first, at most `limit`, with id > afterId. */
  pendingReadings(limit: number, afterId?: number): Promise<StoredReading[]>;
  pendingEvents(limit: number, afterId?: number): Promise<StoredEvent[]>;
  /** Delete after the broker acknowledged them. */
  deleteReadings(ids: readonly number[]): Promise<void>;
  deleteEvents(ids: readonly number[]): Promise<void>;
  stats(): Promise<OutboxStats>;
  close(): Promise<void>;
}
