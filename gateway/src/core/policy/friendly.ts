/**
 * Friendly (non-disconnect) periods: is an instant inside one, and when does the current one end.
 * A window's `days` name the day type of the local day the window STARTS on; a window with
 * to < from runs past midnight into the next local day, and from == to is the whole local day.
 */
import type { DayType, Policy } from '../credit/contracts.js';
import { DAY, MINUTE, dayTypeOf, hhmmToMinutes, isoDate, localTime, offsetChangeBetween, type LocalTime } from './local-time.js';

interface CompiledWindow {
  days: ReadonlySet<DayType> | null;
  from: number;
  to: number;
}

interface CompiledFriendly {
  windows: CompiledWindow[];
  holidays: ReadonlySet<string>;
  /** Minutes of the day where the answer can change, ascending, ending with 1440 (midnight). */
  boundaries: number[];
  /** Every day type that can occur is covered by a whole-day window: the period never ends. */
  always: boolean;
  /** An instant after the last listed holiday (or -Infinity): the calendar repeats weekly after it. */
  calendarEndMs: number;
}

const compiled = new WeakMap<Policy['friendly'], CompiledFriendly>();

function compile(friendly: Policy['friendly']): CompiledFriendly {
  let c = compiled.get(friendly);
  if (c) return c;
  const windows = friendly.windows.map((w) => ({
    days: w.days ? new Set(w.days) : null,
    from: hhmmToMinutes(w.from),
    to: hhmmToMinutes(w.to),
  }));
  const holidays = new Set(friendly.holidays);
  const boundaries = [...new Set([...windows.flatMap((w) => [w.from, w.to]).filter((m) => m > 0), 1440])].sort((a, b) => a - b);
  const occurring: DayType[] = holidays.size ? ['weekday', 'saturday', 'sunday', 'holiday'] : ['weekday', 'saturday', 'sunday'];
  const always = occurring.every((d) => windows.some((w) => w.from === w.to && (!w.days || w.days.has(d))));
  const lastHoliday = [...holidays].sort().pop();
  // +2 days covers any UTC offset on both sides of the holiday's local date.
  const calendarEndMs = lastHoliday ? Date.parse(`${lastHoliday}T00:00:00Z`) + 2 * DAY : -Infinity;
  c = { windows, holidays, boundaries, always, calendarEndMs };
  compiled.set(friendly, c);
  return c;
}

function friendlyAt(c: CompiledFriendly, lt: LocalTime): boolean {
  const today = dayTypeOf(lt.date, lt.weekday, c.holidays);
  let yesterday: DayType | undefined;
  const m = lt.minuteOfDay;
  for (const w of c.windows) {
    const applies = (d: DayType): boolean => !w.days || w.days.has(d);
    if (w.from === w.to) {
      if (applies(today)) return true;
    } else if (w.from < w.to) {
      if (m >= w.from && m < w.to && applies(today)) return true;
    } else {
      if (m >= w.from && applies(today)) return true;
      if (m < w.to) {
        yesterday ??= dayTypeOf(isoDate(lt.dayStartWallMs - DAY), (lt.weekday + 6) % 7, c.holidays);
        if (applies(yesterday)) return true;
      }
    }
  }
  return false;
}

/** True when `ms` falls in one of the policy's friendly windows, in the local time of `zone`. */
export function inFriendlyPeriod(policy: Pick<Policy, 'friendly'>, zone: string, ms: number): boolean {
  return friendlyAt(compile(policy.friendly), localTime(zone, ms));
}

/**
 * The first instant after `ms` that is outside every friendly window, when `ms` is inside one.
 * null when `ms` is not in a friendly period, or when the period never ends (windows cover every
 * day, e.g. a 'keep power' policy).
 *
 * The answer can change only where the local wall clock reaches a window edge or midnight, or
 * where the UTC offset changes (DST), so the walk visits just those instants.
 */
export function friendlyPeriodEnd(policy: Pick<Policy, 'friendly'>, zone: string, ms: number): number | null {
  const c = compile(policy.friendly);
  let lt = localTime(zone, ms);
  if (!friendlyAt(c, lt)) return null;
  if (c.always) return null;
  // Past the holiday calendar the pattern repeats weekly: friendly for 8 more days = forever.
  const horizon = Math.max(ms, c.calendarEndMs) + 8 * DAY;
  let t = ms;
  while (t <= horizon) {
    const b = c.boundaries.find((x) => x > lt.minuteOfDay) ?? 1440;
    const candidate = lt.dayStartWallMs + b * MINUTE - lt.offsetMs;
    let next = offsetChangeBetween(zone, t, candidate, lt.offsetMs) ?? candidate;
    if (next <= t) next = t + 1;
    t = next;
    lt = localTime(zone, t);
    if (!friendlyAt(c, lt)) return t;
  }
  return null;
}
