export { startConsole, type ConsoleHost, type ConsoleOptions, type GatewayObserver, type WebConsole } from './console-server.js';
export { hashPassword, verifyPassword, hashToken, newApiToken, parsePasswordHash } from './password.js';
export { listenAddress, isLoopback, parseListen } from './console-config.js';
export { type ConsoleConfig } from '../../core/config/gateway-config.js';
export { GatewayMetrics } from './metrics.js';
export type { ScanRunner, ScanRequest, ScanHit, ScanProgress, ScanJob } from './scan-jobs.js';
