export { openOutbox, type SqliteOutbox, type OutboxOptions, type WriteStats } from './sqlite-outbox.js';
export { GatewayError, GATEWAY_ERROR_CODES, isGatewayError, type GatewayErrorCode, type GatewayErrorContext } from './errors.js';
export { DROP_HEADROOM } from './bounds.js';
