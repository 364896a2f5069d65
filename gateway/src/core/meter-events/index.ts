/** A meter's own event log: which entries to read, which are new, what they mean. */
export * from './event-log-plan.js';
export * from './prepaid-event-kinds.js';
