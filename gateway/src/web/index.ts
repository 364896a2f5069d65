export { startConsole, type ConsoleHost, type ConsoleOptions, type GatewayObserver, type WebConsole } from './console-server.js';
export { registerConsoleCommands } from './console-cli.js';
export { hashPassword, verifyPassword, hashToken, newApiToken, parsePasswordHash } from './password.js';
export { listenAddress, isLoopback, parseListen, type ConsoleConfig } from './console-config.js';
export { GatewayMetrics } from './metrics.js';
export type { ScanRunner, ScanRequest, ScanHit, ScanProgress, ScanJob } from './scan-jobs.js';
