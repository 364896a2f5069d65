/** Loopback ports for the processes tests start: the one implementation, in protocols. */
export { freePort, waitForPort } from '@prepaid-edge/protocols/loopback';
