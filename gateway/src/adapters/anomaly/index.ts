export { AnomalyWatch, anomalyEvent, type AnomalyWatchDeps } from './anomaly-watch.js';
export { defaultAnomalyRules } from './default-rules.js';
export { anomalyStatePath, readAnomalyState, writeAnomalyState } from './state-file.js';
