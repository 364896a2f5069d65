/**
 * What a reading says about the supply point besides energy: the relay as the meter reports it and
 * latched tamper flags. Pure; the register names are those of the `prepaid` profile
 * (protocols/profiles/prepaid.json): relayState (DLMS IC 70: 0 disconnected, 1 connected,
 * 2 ready for reconnection) and the status bit field.
 */
import type { SupplyState } from './contracts.js';

export const STATUS_BITS = { relayClosed: 0, readyForReconnection: 1, coverOpen: 2, magnetic: 3, bypass: 7 } as const;

export interface MeterObservation {
  relay: SupplyState | undefined;
  tamper: Array<'cover-open' | 'magnetic' | 'bypass'>;
}

const RELAY: Record<number, SupplyState> = { 0: 'disconnected', 1: 'connected', 2: 'ready-for-reconnection' };

export function observe(values: Readonly<Record<string, number>>): MeterObservation {
  const relay = values.relayState !== undefined ? RELAY[values.relayState] : undefined;
  const tamper: MeterObservation['tamper'] = [];
  const status = values.status;
  if (status !== undefined) {
    if (status & (1 << STATUS_BITS.coverOpen)) tamper.push('cover-open');
    if (status & (1 << STATUS_BITS.magnetic)) tamper.push('magnetic');
    if (status & (1 << STATUS_BITS.bypass)) tamper.push('bypass');
  }
  return { relay, tamper };
}

/**
 * Consumption with the relay open is a bypass (theft), whatever the meter's own flag says: energy
 * grew between two readings while both the gateway's state and the meter's readback said open.
 */
export function bypassSuspected(supply: SupplyState, relay: SupplyState | undefined, deltaWh: number, minWh = 1): boolean {
  return supply === 'disconnected' && relay !== 'connected' && deltaWh >= minWh;
}
