/**
 * Token identifier: whole minutes since the base date, 24 bits. The 1993 base overflowed on
 * 2024-11-24; meters are re-keyed to base 2014 (and later 2035), so callers pass the base date.
 */
import { PrepaidError } from '../../errors.js';

export type StsBaseDate = 1993 | 2014 | 2035;
export const STS_BASE_DATES: readonly StsBaseDate[] = [1993, 2014, 2035];
export const MAX_TID = 0xff_ffff;
const MINUTE_MS = 60_000;

export function baseDateMs(baseDate: StsBaseDate): number {
  if (!STS_BASE_DATES.includes(baseDate))
    throw new PrepaidError('E_VALUE_RANGE', `base date must be 1993, 2014 or 2035, got ${baseDate}`, { path: 'baseDate' });
  return Date.UTC(baseDate, 0, 1);
}

/** Minutes since the base date, seconds dropped. */
export function tidFromDate(date: Date, baseDate: StsBaseDate = 1993): number {
  const ms = date instanceof Date ? date.getTime() : NaN;
  if (Number.isNaN(ms)) throw new PrepaidError('E_VALUE_RANGE', 'issue date is not a valid Date', { path: 'issuedAt' });
  const tid = Math.floor((ms - baseDateMs(baseDate)) / MINUTE_MS);
  if (tid < 0 || tid > MAX_TID)
    throw new PrepaidError('E_VALUE_RANGE', `${date.toISOString()} is outside the 24-bit TID range of base ${baseDate}`, {
      path: 'issuedAt',
    });
  return tid;
}

export function dateFromTid(tid: number, baseDate: StsBaseDate = 1993): Date {
  checkTid(tid);
  return new Date(baseDateMs(baseDate) + tid * MINUTE_MS);
}

export function checkTid(tid: number): void {
  if (!Number.isInteger(tid) || tid < 0 || tid > MAX_TID)
    throw new PrepaidError('E_VALUE_RANGE', `TID must be an integer 0..${MAX_TID}, got ${tid}`, { path: 'tid' });
}
