export * from './types.js';
export { parseAnomalyConfig } from './parse-config.js';
export { AnomalyEngine, sampleOf, type AnomalyChange, type ActiveAlarm, type EngineSnapshot } from './engine.js';
export { stepAlarm, idleAlarm, type AlarmState } from './alarm.js';
export type { Sample } from './use-window.js';
export type { DayTotals } from './judge.js';
