export * from './bus-queue.js';
export * from './modbus-transport.js';
export * from './plausibility.js';
export * from './health.js';
export * from './modbus-driver.js';
export * from './meter-poller.js';
export * from './acquisition.js';
export * from './driver-registry.js';
