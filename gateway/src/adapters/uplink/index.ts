export { createUplink, type Uplink, type UplinkEvents, type UplinkOptions, type UplinkState } from './uplink.js';
export { backoffDelay } from './backoff.js';
export { topicsFor, type Topics } from './topics.js';
export { batchReadings, readingsPayload, eventPayload, onlinePayload, offlinePayload, healthPayload, type ReadingBatch } from './payloads.js';
