export * from './aliases.js';
export * from './codec.js';
export * from './datatypes.js';
export * from './exception.js';
export * from './metrics.js';
export * from './sequence.js';
export * from './topics.js';
