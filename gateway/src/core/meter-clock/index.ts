/** Meter clocks: the gateway's own clock steps, meter drift from one read, when to set the meters. */
export * from './clock-step.js';
export * from './drift.js';
export * from './sync-due.js';
