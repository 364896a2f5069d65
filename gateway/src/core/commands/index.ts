/** Signed commands: canonical JSON, Ed25519 keys, envelope checks, result payloads (docs/mqtt.md#commands). */
export * from './canonical-json.js';
export * from './keys.js';
export * from './shape.js';
export * from './envelope.js';
export * from './results.js';
export * from './top-up-limit.js';
export * from './account-shape.js';
export * from './cosign.js';
export * from './correction-limits.js';
