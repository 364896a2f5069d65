/**
 * Daily standing charges: one per local calendar day after cursor.standingDay up to and including the
 * local day of `now`, charged from the first instant of that day (local midnight, DST-correct) at the
 * price of the tariff active at that instant.
 */
import { PrepaidError } from '@prepaid-edge/protocols';
import type { ChargeCursor, TariffVersion } from '../credit/contracts.js';
import { compileVersions, versionIndexAt } from './compile.js';
import { DAY_MS, dateOfDays, daysOfDate, firstInstantAtOrAfterWall, localDate, zoneTable } from './local-time.js';

export interface StandingCharge {
  /** Local date 'YYYY-MM-DD' charged. */
  day: string;
  amount: number;
  /** Id of the tariff active at the day's start. */
  tariff: string;
}

/**
 * Days with no tariff active at their start, days charging 0 and days a zone skipped entirely (date
 * line moves) give no entry; the cursor still moves to the local day of `now`. A `now` on or before
 * cursor.standingDay (clock set back) charges nothing and leaves the cursor as it is.
 */
export function standingCharges(versions: TariffVersion[], zone: string, cursor: ChargeCursor, now: number): { days: StandingCharge[]; cursor: ChargeCursor } {
  const last = daysOfDate(cursor.standingDay);
  if (Number.isNaN(last)) {
    throw new PrepaidError('E_LEDGER_INPUT', `cursor.standingDay: must be a date "YYYY-MM-DD" (got ${JSON.stringify(cursor.standingDay)})`, { path: 'cursor.standingDay' });
  }
  if (!Number.isSafeInteger(now)) throw new PrepaidError('E_LEDGER_INPUT', `now: must be an integer epoch ms (got ${now})`, { path: 'now' });
  zoneTable(zone);
  const today = daysOfDate(localDate(now, zone));
  if (today <= last) return { days: [], cursor: { ...cursor } };
  const cv = compileVersions(versions);
  const days: StandingCharge[] = [];
  let start = firstInstantAtOrAfterWall((last + 1) * DAY_MS, zone);
  for (let d = last + 1; d <= today; d++) {
    const next = firstInstantAtOrAfterWall((d + 1) * DAY_MS, zone);
    const v = versionIndexAt(cv, start);
    if (next > start && v >= 0) {
      const t = cv.tariffs[v]!.tariff;
      if (t.standingChargePerDay > 0) days.push({ day: dateOfDays(d), amount: t.standingChargePerDay, tariff: t.id });
    }
    start = next;
  }
  return { days, cursor: { ...cursor, standingDay: dateOfDays(today) } };
}
