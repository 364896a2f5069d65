export * from './constants.js';
export * from './crc16.js';
export * from './pdu.js';
export * from './rtu-frame.js';
export * from './rtu-splitter.js';
export * from './tcp-frame.js';
export * from './slave.js';
