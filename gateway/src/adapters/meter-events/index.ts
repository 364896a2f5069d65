/** A meter's own event log, uploaded exactly once (prepaid map over Modbus). */
export * from './prepaid-event-log.js';
export * from './meter-event-walker.js';
export * from './dlt645-event-records.js';
