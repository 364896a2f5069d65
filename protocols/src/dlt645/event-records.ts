/**
 * DL/T 645-2007 event records as data (protocols/profiles/dlt645/event-records.json): which DIs
 * hold each kind's count and its last records, and where each field sits in a record. Encodes
 * records for the simulator and decodes them for the gateway, so both read one table.
 */
import { readFileSync } from 'node:fs';
import { PrepaidError } from '../errors.js';
import { decodeBcd, encodeBcd } from './bcd.js';
import { decodeDlt645DateTime, dlt645DateTimeFromDate, dlt645DateTimeToDate, encodeDlt645DateTime, DLT645_DATE_TIME_BYTES } from './time.js';

export interface Dlt645EventField {
  name: string;
  offset: number;
  type: 'datetime' | 'bcd';
  /** bcd only. */
  bytes?: number;
}

export interface Dlt645EventRecordKind {
  kind: string;
  countDi: string;
  /** The record DI with NN for the record number (01 = newest). */
  recordDi: string;
  depth: number;
  fields: readonly Dlt645EventField[];
  /** The datetime field that stamps the event. */
  time: string;
}

/** Bytes of a count (XXXXXX). */
export const DLT645_EVENT_COUNT_BYTES = 3;
const FILE = new URL('../../../profiles/dlt645/event-records.json', import.meta.url);
const DI = /^[0-9A-F]{8}$/;
let cached: readonly Dlt645EventRecordKind[] | undefined;

function invalid(path: string, why: string): never {
  throw new PrepaidError('E_PROFILE_INVALID', `dlt645/event-records.json: ${path}: ${why}`, { path, source: 'dlt645/event-records.json' });
}

/** The table, validated (DIs, depth 1..10, fields inside the record, the time field a datetime) and cached. */
export function dlt645EventRecordKinds(): readonly Dlt645EventRecordKind[] {
  if (cached) return cached;
  const raw = JSON.parse(readFileSync(FILE, 'utf8')) as { records?: unknown };
  if (!Array.isArray(raw.records)) invalid('/records', 'must be a list');
  const kinds = (raw.records as Dlt645EventRecordKind[]).map((k, i) => {
    const p = `/records/${i}`;
    if (typeof k.kind !== 'string' || !/^[a-z][a-z-]*$/.test(k.kind)) invalid(`${p}/kind`, 'must be a lower-case name');
    if (!DI.test(k.countDi)) invalid(`${p}/countDi`, 'must be 8 hex digits');
    if (!/^[0-9A-F]{6}NN$/.test(k.recordDi)) invalid(`${p}/recordDi`, 'must be 6 hex digits then NN');
    if (!Number.isInteger(k.depth) || k.depth < 1 || k.depth > 10) invalid(`${p}/depth`, 'must be 1..10');
    if (!Array.isArray(k.fields) || k.fields.length === 0) invalid(`${p}/fields`, 'must list the fields');
    k.fields.forEach((f, j) => {
      if (!Number.isInteger(f.offset) || f.offset < 0) invalid(`${p}/fields/${j}/offset`, 'must be a byte offset');
      if (f.type !== 'datetime' && !(f.type === 'bcd' && Number.isInteger(f.bytes) && f.bytes! >= 1 && f.bytes! <= 7)) invalid(`${p}/fields/${j}`, 'must be a datetime or bcd with 1..7 bytes');
    });
    if (!k.fields.some((f) => f.name === k.time && f.type === 'datetime')) invalid(`${p}/time`, 'must name a datetime field');
    return Object.freeze({ ...k, fields: Object.freeze(k.fields.map((f) => Object.freeze({ ...f }))) });
  });
  cached = Object.freeze(kinds);
  return cached;
}

export function dlt645EventRecordDi(k: Dlt645EventRecordKind, n: number): string {
  if (!Number.isInteger(n) || n < 1 || n > k.depth) throw new PrepaidError('E_VALUE_RANGE', `record ${n} of ${k.kind}: 1..${k.depth}`, { path: 'n', value: n });
  return k.recordDi.replace('NN', n.toString(16).toUpperCase().padStart(2, '0'));
}

const width = (f: Dlt645EventField): number => (f.type === 'datetime' ? DLT645_DATE_TIME_BYTES : f.bytes!);
export const dlt645EventRecordBytes = (k: Dlt645EventRecordKind): number => Math.max(...k.fields.map((f) => f.offset + width(f)));

export function encodeDlt645EventCount(count: number): Buffer {
  return encodeBcd(count, DLT645_EVENT_COUNT_BYTES, { path: 'count' });
}

export function decodeDlt645EventCount(payload: Uint8Array): number {
  return decodeBcd(payload.subarray(0, DLT645_EVENT_COUNT_BYTES));
}

/** A record's fields: date-times as UTC epoch ms (the meter keeps local time, `utcOffsetMinutes` ahead), bcd as numbers. */
export type Dlt645EventValues = Record<string, number>;

export function encodeDlt645EventRecord(k: Dlt645EventRecordKind, values: Dlt645EventValues, utcOffsetMinutes = 0): Buffer {
  const out = Buffer.alloc(dlt645EventRecordBytes(k));
  for (const f of k.fields) {
    const v = values[f.name] ?? 0;
    const bytes = f.type === 'datetime' ? encodeDlt645DateTime(dlt645DateTimeFromDate(new Date(v), utcOffsetMinutes), f.name) : encodeBcd(v, f.bytes!, { path: f.name });
    bytes.copy(out, f.offset);
  }
  return out;
}

export function decodeDlt645EventRecord(k: Dlt645EventRecordKind, payload: Uint8Array, utcOffsetMinutes = 0): Dlt645EventValues {
  if (payload.length < dlt645EventRecordBytes(k)) throw new PrepaidError('E_FRAME_SHORT', `${k.kind} record: ${payload.length} bytes, needs ${dlt645EventRecordBytes(k)}`, { kind: k.kind });
  const out: Dlt645EventValues = {};
  for (const f of k.fields) {
    out[f.name] =
      f.type === 'datetime'
        ? dlt645DateTimeToDate(decodeDlt645DateTime(payload, f.offset), utcOffsetMinutes).getTime()
        : decodeBcd(payload.subarray(f.offset, f.offset + f.bytes!));
  }
  return out;
}
