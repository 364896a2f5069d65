/**
 * What the uplink publishes, as pure functions from outbox rows to MQTT payloads. The JSON shapes
 * are the public contract in docs/mqtt.md.
 */
import type { StoredEvent, StoredReading } from '../../core/model.js';
import type { Topics } from './topics.js';

/** Readings of one meter, published as one message and deleted from the outbox after its PUBACK. */
export interface ReadingBatch {
  meter: string;
  historical: boolean;
  readings: StoredReading[];
}

/**
 * Group rows (oldest first) into messages: one meter per message, at most `batchSize` readings,
 * historical and live readings never mixed, each meter's readings in seq order.
 */
export function batchReadings(rows: readonly StoredReading[], batchSize: number, isHistorical: (r: StoredReading) => boolean): ReadingBatch[] {
  const size = Math.max(1, Math.floor(batchSize));
  const open = new Map<string, ReadingBatch>();
  const out: ReadingBatch[] = [];
  for (const r of rows) {
    const historical = isHistorical(r);
    const key = `${historical ? 'h' : 'l'}:${r.meter}`;
    let b = open.get(key);
    if (!b || b.readings.length >= size) {
      b = { meter: r.meter, historical, readings: [] };
      open.set(key, b);
      out.push(b);
    }
    b.readings.push(r);
  }
  return out;
}

export function readingsPayload(b: ReadingBatch): string {
  return JSON.stringify({ meter: b.meter, readings: b.readings.map((r) => ({ seq: r.seq, ts: r.ts, values: r.values })), historical: b.historical });
}

/** Outbox events of this type are frozen readings: `data` is the payload of `meters/{meter}/frozen`. */
export const FROZEN_EVENT = 'frozen-reading';

/** Topic and payload of an outbox event: a frozen reading on its meter's topic, any other on `events`. */
export function eventMessage(topics: Pick<Topics, 'events' | 'frozen'>, e: StoredEvent): { topic: string; payload: string } {
  if (e.type === FROZEN_EVENT && e.meter !== undefined) return { topic: topics.frozen(e.meter), payload: JSON.stringify(e.data) };
  return { topic: topics.events, payload: eventPayload(e) };
}

export function eventPayload(e: StoredEvent): string {
  return JSON.stringify({ id: e.id, ts: e.ts, type: e.type, ...(e.meter === undefined ? {} : { meter: e.meter }), data: e.data });
}

export interface StatusInfo {
  version: string;
  startedAt: number;
  /** The active configuration's version and hash (remote configuration), when known. */
  config?: { version: number; hash: string };
}

export function onlinePayload(s: StatusInfo, ts: number, uptimeMs: number): string {
  return JSON.stringify({ state: 'online', version: s.version, startedAt: s.startedAt, ...(s.config ? { config: s.config } : {}), uptimeMs: Math.round(uptimeMs), ts });
}

/** `reason`: 'connection-lost' in the last will (the broker sends it), 'stopped' on a clean stop. */
export function offlinePayload(s: StatusInfo, reason: 'connection-lost' | 'stopped', ts?: number, uptimeMs?: number): string {
  return JSON.stringify({ state: 'offline', reason, version: s.version, startedAt: s.startedAt, ...(s.config ? { config: s.config } : {}), ...(ts === undefined ? {} : { ts }), ...(uptimeMs === undefined ? {} : { uptimeMs: Math.round(uptimeMs) }) });
}

export function healthPayload(health: object, ts: number): string {
  return JSON.stringify({ ...health, ts });
}
