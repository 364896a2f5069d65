/** A calendar date and time of day in fields, in no particular zone (the user of the value says which). */
export interface CivilDateTime {
  /** Full year, e.g. 2026. */
  year: number;
  /** 1..12 */
  month: number;
  /** 1..31 */
  day: number;
  /** 0..23 */
  hour: number;
  /** 0..59 */
  minute: number;
  /** 0..59 */
  second: number;
}
