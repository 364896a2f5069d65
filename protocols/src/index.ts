export * from './errors.js';
export * from './bytes.js';
export * from './clock.js';
export * from './modbus/index.js';
export * from './registers/index.js';
export * from './tokens/sts/index.js';
export * from './tokens/openpaygo/index.js';
export * from './dlt645/index.js';
