/** Meter clocks: read, measure drift, set (prepaid register, DL/T 645 broadcast), on a schedule and after a clock step. */
export * from './meter-clock-port.js';
export * from './prepaid-clock.js';
export * from './dlt645-broadcast-clock.js';
export * from './meter-clock-keeper.js';
