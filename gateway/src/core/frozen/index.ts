/** Frozen readings (daily and monthly register snapshots): the pure rules. */
export { dueFrozen, nextDueAt, LATE_AFTER_MS, type DueInput, type FrozenKind, type FrozenPeriod } from './due.js';
export { energyRegisters, frozenReading, frozenId, type FrozenReading } from './snapshot.js';
