export * from './errors.js';
export * from './bytes.js';
export * from './modbus/index.js';
