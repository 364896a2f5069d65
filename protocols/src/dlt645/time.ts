/**
 * The 6-byte BCD date-time of time sync (0x08) and relay expiry (0x1C N3..N8):
 * ss mm hh DD MM YY, seconds first, years 2000..2099. Meters keep local time, so conversions
 * from a Date take the meter's UTC offset explicitly.
 */
import type { CivilDateTime } from '../civil-time.js';
import { frameError, PrepaidError } from '../errors.js';
import { fromBcdByte, toBcdByte } from './bcd.js';

/** The meter's local date and time; years 2000..2099. */
export type Dlt645DateTime = CivilDateTime;

export const DLT645_DATE_TIME_BYTES = 6;

/** Wire order: field and its range. */
const FIELDS = [
  ['second', 0, 59],
  ['minute', 0, 59],
  ['hour', 0, 23],
  ['day', 1, 31],
  ['month', 1, 12],
  ['year', 2000, 2099],
] as const;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** The first field that is out of range, if any. */
function badField(t: Dlt645DateTime): (typeof FIELDS)[number][0] | undefined {
  for (const [name, min, max] of FIELDS) {
    const v = t[name];
    if (!Number.isInteger(v) || v < min || v > max) return name;
  }
  return t.day > daysInMonth(t.year, t.month) ? 'day' : undefined;
}

export function encodeDlt645DateTime(t: Dlt645DateTime, path = 'time'): Buffer {
  const bad = badField(t);
  if (bad) throw new PrepaidError('E_FRAME_VALUE', `${path}.${bad} = ${String(t[bad])} is out of range`, { path: `${path}.${bad}` });
  return Buffer.from(FIELDS.map(([name]) => toBcdByte(name === 'year' ? t.year - 2000 : t[name])));
}

/** Decode 6 bytes at `offset`; `base` is added to error offsets. */
export function decodeDlt645DateTime(bytes: Uint8Array, offset = 0, base = 0): Dlt645DateTime {
  if (bytes.length < offset + DLT645_DATE_TIME_BYTES)
    throw frameError('E_FRAME_SHORT', `date-time needs ${DLT645_DATE_TIME_BYTES} bytes`, base + bytes.length);
  const v = FIELDS.map((_, i) => fromBcdByte(bytes[offset + i]!, base + offset + i));
  const t: Dlt645DateTime = { second: v[0]!, minute: v[1]!, hour: v[2]!, day: v[3]!, month: v[4]!, year: 2000 + v[5]! };
  const bad = badField(t);
  if (bad) throw frameError('E_FRAME_VALUE', `${bad} ${String(t[bad])} is out of range`, base + offset + FIELDS.findIndex(([n]) => n === bad));
  return t;
}

/** Fields of `date` as the meter's clock shows them, for a meter `utcOffsetMinutes` ahead of UTC (China: 480). */
export function dlt645DateTimeFromDate(date: Date, utcOffsetMinutes = 0): Dlt645DateTime {
  const d = new Date(date.getTime() + utcOffsetMinutes * 60_000);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  };
}

export function dlt645DateTimeToDate(t: Dlt645DateTime, utcOffsetMinutes = 0): Date {
  return new Date(Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second) - utcOffsetMinutes * 60_000);
}
