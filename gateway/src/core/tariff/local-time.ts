/**
 * Local (wall-clock) time in an IANA zone, DST-correct, fast enough for every meter every minute.
 *
 * Intl.DateTimeFormat is slow (microseconds per call), so each zone's UTC offsets are sampled with it
 * once per ~year of UTC time and kept as a table of offset changes (DST transitions); after that an
 * instant's local time is a table lookup plus integer arithmetic.
 *
 * "Wall ms" below is a local date and time written as if it were UTC (Date.UTC(y, m-1, d, h, min)).
 */
import { PrepaidError, type CivilDateTime } from '@prepaid-edge/protocols';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** Offsets are sampled every 6 h: no zone changes its offset twice within 6 h. */
const SAMPLE_MS = 6 * HOUR_MS;
const CHUNK_MS = 366 * DAY_MS;
/** No zone is further than this from UTC (the largest are +14:00 and -12:00). */
const MAX_OFFSET_MS = 16 * HOUR_MS;

export interface LocalParts extends CivilDateTime {
  millisecond: number;
  /** 0 = Sunday .. 6 = Saturday */
  weekday: number;
  /** Local calendar date 'YYYY-MM-DD'. */
  date: string;
  /** Minutes since local midnight (0..1439). */
  minuteOfDay: number;
  /** Local minus UTC, ms (e.g. +8 h for Asia/Shanghai). */
  offsetMs: number;
}

/** A stretch of UTC time with one offset: [start, end). `end` may be an artificial chunk edge. */
export interface OffsetPiece {
  offset: number;
  start: number;
  end: number;
}

interface Chunk {
  end: number;
  /** at[i] = instant from which off[i] applies; at[0] = chunk start. */
  at: number[];
  off: number[];
}

class ZoneTable {
  private readonly fmt: Intl.DateTimeFormat;
  private readonly chunks = new Map<number, Chunk>();

  constructor(readonly zone: string) {
    this.fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      era: 'short',
    });
  }

  /** Offset at a whole-second instant, from ICU. */
  private rawOffset(ms: number): number {
    const p: Record<string, string> = {};
    for (const part of this.fmt.formatToParts(ms)) p[part.type] = part.value;
    let year = Number(p.year);
    if (p.era === 'BC' || p.era === 'B') year = 1 - year;
    const wall = Date.UTC(year, Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
    // Date.UTC maps years 0..99 to 1900..1999; those years never matter for tariffs.
    return wall - ms;
  }

  private chunk(k: number): Chunk {
    let c = this.chunks.get(k);
    if (c) return c;
    const start = k * CHUNK_MS;
    const end = start + CHUNK_MS;
    const at = [start];
    const off = [this.rawOffset(start)];
    let prevT = start;
    let prevO = off[0]!;
    for (let t = start + SAMPLE_MS; prevT < end; t += SAMPLE_MS) {
      const tt = Math.min(t, end);
      const o = this.rawOffset(tt);
      // Bisect (to the second: tz data is second-resolution) every change inside (prevT, tt].
      let lo = prevT;
      let loO = prevO;
      while (loO !== o) {
        let a = lo / 1000;
        let b = tt / 1000;
        while (b - a > 1) {
          const mid = Math.floor((a + b) / 2);
          if (this.rawOffset(mid * 1000) === loO) a = mid;
          else b = mid;
        }
        lo = b * 1000;
        loO = this.rawOffset(lo);
        if (lo < end) {
          at.push(lo);
          off.push(loO);
        }
      }
      prevT = tt;
      prevO = o;
    }
    c = { end, at, off };
    this.chunks.set(k, c);
    return c;
  }

  piece(ms: number): OffsetPiece {
    const c = this.chunk(Math.floor(ms / CHUNK_MS));
    const { at, off } = c;
    let i = at.length - 1;
    while (at[i]! > ms) i--;
    return { offset: off[i]!, start: at[i]!, end: i + 1 < at.length ? at[i + 1]! : c.end };
  }

  offset(ms: number): number {
    const c = this.chunk(Math.floor(ms / CHUNK_MS));
    const { at, off } = c;
    let i = at.length - 1;
    while (at[i]! > ms) i--;
    return off[i]!;
  }
}

const zones = new Map<string, ZoneTable>();

/** The cached offset table of a zone; throws E_TARIFF_INVALID (path 'zone') for an unknown zone. */
export function zoneTable(zone: string): ZoneTable {
  let z = zones.get(zone);
  if (!z) {
    try {
      z = new ZoneTable(zone);
    } catch (e) {
      throw new PrepaidError('E_TARIFF_INVALID', `zone: unknown IANA time zone "${zone}"`, { path: 'zone', zone }, { cause: e });
    }
    zones.set(zone, z);
  }
  return z;
}
export type { ZoneTable };

/** Local minus UTC at `ms`, in ms. */
export function zoneOffsetMs(ms: number, zone: string): number {
  return zoneTable(zone).offset(ms);
}

/** The stretch of constant offset containing `ms` (its `end` may be an internal chunk edge, not a transition). */
export function offsetPiece(ms: number, zone: string): OffsetPiece {
  return zoneTable(zone).piece(ms);
}

/** Days since 1970-01-01 → [year, month 1..12, day]. (H. Hinnant's civil_from_days.) */
export function civilFromDays(days: number): [number, number, number] {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : `${n}`);

export function formatDate(year: number, month: number, day: number): string {
  return `${year}-${pad2(month)}-${pad2(day)}`;
}

/** 'YYYY-MM-DD' of a day number (days since 1970-01-01). */
export function dateOfDays(days: number): string {
  const [y, m, d] = civilFromDays(days);
  return formatDate(y, m, d);
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Day number of a 'YYYY-MM-DD' date, or NaN when it is not a real calendar date. */
export function daysOfDate(date: string): number {
  const m = DATE_RE.exec(date);
  if (!m) return NaN;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const ms = Date.UTC(y, mo - 1, d);
  const back = civilFromDays(ms / DAY_MS);
  return back[0] === y && back[1] === mo && back[2] === d ? ms / DAY_MS : NaN;
}

export function isCalendarDate(date: string): boolean {
  return !Number.isNaN(daysOfDate(date));
}

/** The local wall time of an instant (as wall ms, see the module comment). */
export function wallMs(ms: number, zone: string): number {
  return ms + zoneTable(zone).offset(ms);
}

export function localParts(ms: number, zone: string): LocalParts {
  const offsetMs = zoneTable(zone).offset(ms);
  const wall = ms + offsetMs;
  const days = Math.floor(wall / DAY_MS);
  const inDay = wall - days * DAY_MS;
  const [year, month, day] = civilFromDays(days);
  const minuteOfDay = Math.floor(inDay / MINUTE_MS);
  return {
    year,
    month,
    day,
    hour: Math.floor(minuteOfDay / 60),
    minute: minuteOfDay % 60,
    second: Math.floor((inDay % MINUTE_MS) / 1000),
    millisecond: inDay % 1000,
    weekday: (((days + 4) % 7) + 7) % 7,
    date: formatDate(year, month, day),
    minuteOfDay,
    offsetMs,
  };
}

/** Local calendar date 'YYYY-MM-DD' of an instant. */
export function localDate(ms: number, zone: string): string {
  return dateOfDays(Math.floor(wallMs(ms, zone) / DAY_MS));
}

/**
 * The first instant whose local wall time is >= `wall`. In a spring-forward gap that is the instant of
 * the jump (02:30 on a day that skips 02:00-03:00 → the instant local time becomes 03:00); in a
 * fall-back overlap it is the first of the two instants.
 */
export function firstInstantAtOrAfterWall(wall: number, zone: string): number {
  const z = zoneTable(zone);
  let p = z.piece(wall - MAX_OFFSET_MS);
  for (;;) {
    // Local time runs from p.start + offset to p.end + offset within the piece.
    if (p.end + p.offset > wall) return Math.max(p.start, wall - p.offset);
    p = z.piece(p.end);
  }
}

/** Instant the local calendar day `date` ('YYYY-MM-DD') starts (first instant whose local date is >= it). */
export function dayStart(date: string, zone: string): number {
  const days = daysOfDate(date);
  if (Number.isNaN(days)) throw new PrepaidError('E_LEDGER_INPUT', `not a calendar date "${date}"`, { path: 'date', date });
  return firstInstantAtOrAfterWall(days * DAY_MS, zone);
}

/** Length of a local calendar day in ms: 23 h on spring-forward days, 25 h on fall-back days. */
export function dayLength(date: string, zone: string): number {
  return dayStart(addDays(date, 1), zone) - dayStart(date, zone);
}

/** The instant local time `HH:MM` on `date` starts (rule of firstInstantAtOrAfterWall). */
export function localToInstant(date: string, hhmm: string, zone: string): number {
  const days = daysOfDate(date);
  const m = /^(\d{2}):(\d{2})$/.exec(hhmm);
  if (Number.isNaN(days) || !m) throw new PrepaidError('E_LEDGER_INPUT', `not a local date and time "${date} ${hhmm}"`, { path: 'date', date, time: hhmm });
  return firstInstantAtOrAfterWall(days * DAY_MS + (Number(m[1]) * 60 + Number(m[2])) * MINUTE_MS, zone);
}

export function addDays(date: string, n: number): string {
  const days = daysOfDate(date);
  if (Number.isNaN(days)) throw new PrepaidError('E_LEDGER_INPUT', `not a calendar date "${date}"`, { path: 'date', date });
  return dateOfDays(days + n);
}
