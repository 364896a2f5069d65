export { AnomalyWatch, anomalyEvent, type AnomalyWatchDeps } from './anomaly-watch.js';
export { defaultAnomalyRules } from './default-rules.js';
