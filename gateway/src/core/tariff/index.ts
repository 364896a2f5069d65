/** Tariffs and charging: pure functions, no I/O beyond loading the schema once. See README.md here. */
export { parseTariff, parseTariffVersions, parseTariffText } from './parse.js';
export {
  localParts,
  localDate,
  zoneOffsetMs,
  offsetPiece,
  wallMs,
  firstInstantAtOrAfterWall,
  localToInstant,
  dayStart,
  dayLength,
  addDays,
  isCalendarDate,
  type LocalParts,
  type OffsetPiece,
} from './local-time.js';
export { tariffSegments, periodAt, type TariffSegment } from './segments.js';
export { chargeConsumption, baselineCursor, type Reading } from './charge.js';
export { standingCharges, type StandingCharge } from './standing.js';
