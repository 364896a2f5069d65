/** The `prepaid` profile's registers the relay driver and the credit sync write and read. */
import { loadProfile, PrepaidError, type RegisterDef } from '@prepaid-edge/protocols';

const profile = loadProfile('prepaid');

export function prepaidRegister(name: string): RegisterDef {
  const def = profile.registers.find((r) => r.name === name);
  if (!def) throw new PrepaidError('E_PROFILE_INVALID', `prepaid profile has no register ${name}`, { path: name });
  return def;
}

export const PREPAID = {
  relayClosedCoil: prepaidRegister('relayClosed').address,
  relayCommandCoil: prepaidRegister('relayCommand').address,
  status: prepaidRegister('status').address,
  relayState: prepaidRegister('relayState').address,
  energyImport: prepaidRegister('energyImport'),
  reconnectMode: prepaidRegister('reconnectMode'),
} as const;

/** relayState (input 21) as DLMS IC 70. */
export const RELAY_STATE_NAMES = ['disconnected', 'connected', 'ready-for-reconnection'] as const;
