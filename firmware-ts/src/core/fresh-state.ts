/** The state of a meter that has never run: factory energy register, factory line settings. */
import { creditFlags } from './credit.js';
import { RELAY, type LineSettings, type MeterState, type Settings } from './types.js';

export interface FactorySettings {
  initialEnergyWh: number;
  initialRelay: 'connected' | 'disconnected';
  line: LineSettings;
  clockSet: boolean;
}

export function freshState(f: FactorySettings): MeterState {
  const settings: Settings = {
    creditBalance: 0,
    lowCreditThreshold1: 0,
    lowCreditThreshold2: 0,
    emergencyCreditLimit: 0,
    backupDisconnectThreshold: 0,
    creditDecimals: 2,
    reconnectMode: 0,
  };
  const connected = f.initialRelay === 'connected';
  return {
    energy: { importWh: f.initialEnergyWh, exportWh: 0, residue: 0, moduleWh: -1, savedAt: 0 },
    relay: { state: connected ? RELAY.CONNECTED : RELAY.DISCONNECTED, command: connected ? 1 : 0, openReason: 0 },
    settings,
    line: { ...f.line },
    latched: 0,
    emergencyInUse: false,
    creditFlags: creditFlags(settings, false),
    standaloneSince: 0,
    clock: { offsetMs: 0, set: f.clockSet },
    events: { counter: 0, log: [] },
    tids: [],
  };
}
