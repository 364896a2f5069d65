/**
 * Disconnect control after DLMS IC 70: disconnected (0), connected (1), ready for reconnection (2).
 * Pure transitions; each accepted one names the event that records it. Only the customer's button
 * moves ready -> connected, and nothing but a remote close (or the button after an arm) ever closes
 * the relay, so a relay opened for non-payment stays open through anything else.
 */
import { CLOSE_REASON, EVENT, OPEN_REASON, RELAY, type RelayState } from './types.js';

export interface RelayStatus {
  state: RelayState;
  command: 0 | 1;
  openReason: number;
}

export type RelayStep =
  | { ok: true; next: RelayStatus; event?: { type: number; value: number } }
  | { ok: false; reason: string };

const opened = (reason: number): RelayStep => ({
  ok: true,
  next: { state: RELAY.DISCONNECTED, command: 0, openReason: reason },
  event: { type: EVENT.RELAY_OPENED, value: reason },
});

/** Relay command coil (1) written by the gateway. */
export function remoteCommand(cur: RelayStatus, close: boolean, armOnly: boolean, thresholdReached: boolean): RelayStep {
  if (!close) return opened(OPEN_REASON.REMOTE);
  if (thresholdReached) return { ok: false, reason: 'energyImport has reached the backup disconnect threshold' };
  if (cur.state === RELAY.CONNECTED || !armOnly)
    return { ok: true, next: { state: RELAY.CONNECTED, command: 1, openReason: 0 }, event: { type: EVENT.RELAY_CLOSED, value: CLOSE_REASON.REMOTE } };
  return { ok: true, next: { state: RELAY.READY, command: 1, openReason: cur.openReason }, event: { type: EVENT.ARMED, value: 0 } };
}

/** The customer's reconnect button (or keypad B). */
export function manualReconnect(cur: RelayStatus): RelayStep {
  if (cur.state !== RELAY.READY) return { ok: false, reason: 'the relay is not ready for reconnection' };
  return { ok: true, next: { state: RELAY.CONNECTED, command: 1, openReason: 0 }, event: { type: EVENT.RELAY_CLOSED, value: CLOSE_REASON.BUTTON } };
}

/** energyImport reached the backup disconnect threshold. */
export function backupDisconnect(cur: RelayStatus): RelayStep {
  if (cur.state === RELAY.DISCONNECTED) return { ok: false, reason: 'already disconnected' };
  return opened(OPEN_REASON.BACKUP_THRESHOLD);
}

/** A token added local credit: a relay the backup threshold opened becomes ready for the button. */
export function rearmAfterTopUp(cur: RelayStatus): RelayStep {
  if (cur.state !== RELAY.DISCONNECTED || cur.openReason !== OPEN_REASON.BACKUP_THRESHOLD) return { ok: false, reason: 'not opened by the backup threshold' };
  return { ok: true, next: { state: RELAY.READY, command: 0, openReason: cur.openReason }, event: { type: EVENT.ARMED, value: 0 } };
}

/** Service console relay test, first half: only a connected relay may be tested. */
export function localTestOpen(cur: RelayStatus): RelayStep {
  if (cur.state !== RELAY.CONNECTED) return { ok: false, reason: 'relay test needs a connected relay (it never closes an open one)' };
  return opened(OPEN_REASON.LOCAL);
}

/** Service console relay test, second half: closes only what the test itself opened. */
export function localTestClose(cur: RelayStatus, thresholdReached: boolean): RelayStep {
  if (cur.state !== RELAY.DISCONNECTED || cur.openReason !== OPEN_REASON.LOCAL || thresholdReached) return { ok: false, reason: 'relay was not opened by the test' };
  return { ok: true, next: { state: RELAY.CONNECTED, command: 1, openReason: 0 }, event: { type: EVENT.RELAY_CLOSED, value: CLOSE_REASON.LOCAL } };
}
