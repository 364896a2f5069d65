/**
 * Check what callers hand the outbox before it is queued, so one bad reading is rejected on its own
 * (E_STORE_INPUT) instead of failing the transaction it would have shared with others.
 */
import type { NewEvent, NewReading } from '../../core/model.js';
import { GatewayError } from './errors.js';

/** Meter ids end up in MQTT topic levels: no '/', '+', '#', no control characters. */
const METER_ID = /^[^/+#\u0000-\u001f\u007f]{1,128}$/;

export interface ReadingRow {
  meter: string;
  ts: number;
  /** A copy of the caller's values (numbers only, so a shallow copy is a deep one). */
  values: Record<string, number>;
  /** The values as the JSON text that is stored (and counted against maxBytes). */
  json: string;
  bytes: number;
}

export interface EventRow {
  ts: number;
  type: string;
  meter: string | null;
  json: string;
}

function bad(path: string, message: string): GatewayError {
  return new GatewayError('E_STORE_INPUT', `${path}: ${message}`, { path });
}

function checkMeter(meter: unknown, path: string): string {
  if (typeof meter !== 'string' || !METER_ID.test(meter)) throw bad(path, `meter id must be 1..128 characters without '/', '+', '#' or control characters (got ${JSON.stringify(meter)})`);
  return meter;
}

function checkTs(ts: unknown, path: string): number {
  if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || ts < 0) throw bad(path, `timestamp must be a non-negative integer (epoch ms), got ${String(ts)}`);
  return ts;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

export function readingRow(r: NewReading, index: number): ReadingRow {
  const path = `readings[${index}]`;
  if (!isPlainObject(r)) throw bad(path, 'must be an object');
  const meter = checkMeter(r.meter, `${path}.meter`);
  const ts = checkTs(r.ts, `${path}.ts`);
  if (!isPlainObject(r.values)) throw bad(`${path}.values`, 'must be an object of numbers');
  // Runs for every reading: one pass that checks and copies, no entries arrays (footprint bench: GC).
  const values: Record<string, number> = {};
  const given = r.values as Record<string, unknown>;
  for (const k in given) {
    if (!Object.hasOwn(given, k)) continue;
    const v = given[k];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(`${path}.values.${k}`, `must be a finite number, got ${String(v)}`);
    values[k] = v;
  }
  const json = JSON.stringify(values);
  return { meter, ts, values, json, bytes: Buffer.byteLength(json) };
}

export function eventRow(e: NewEvent): EventRow {
  if (!isPlainObject(e)) throw bad('event', 'must be an object');
  const ts = checkTs(e.ts, 'event.ts');
  if (typeof e.type !== 'string' || e.type.length === 0 || e.type.length > 64) throw bad('event.type', 'must be a string of 1..64 characters');
  const meter = e.meter === undefined ? null : checkMeter(e.meter, 'event.meter');
  if (e.data !== undefined && !isPlainObject(e.data)) throw bad('event.data', 'must be an object');
  let json: string;
  try {
    json = JSON.stringify(e.data ?? {});
  } catch (err) {
    throw new GatewayError('E_STORE_INPUT', `event.data: cannot be stored as JSON: ${(err as Error).message}`, { path: 'event.data' }, { cause: err });
  }
  return { ts, type: e.type, meter, json };
}
