/**
 * The meter's vocabulary: numbers that appear on the Modbus map (protocols/profiles/prepaid.json)
 * are named here once, so the core, the register model and the console speak the same codes.
 */

/** Disconnect-control state as DLMS IC 70 (register input 21). */
export const RELAY = { DISCONNECTED: 0, CONNECTED: 1, READY: 2 } as const;
export type RelayState = (typeof RELAY)[keyof typeof RELAY];

/** Event types of the map's event table (input 25). */
export const EVENT = {
  RELAY_OPENED: 1,
  RELAY_CLOSED: 2,
  ARMED: 3,
  LOW_CREDIT_1: 4,
  LOW_CREDIT_2: 5,
  CREDIT_EXHAUSTED: 6,
  EMERGENCY_CREDIT: 7,
  COVER_OPENED: 8,
  MAGNETIC_FIELD: 9,
  BYPASS: 10,
  TAMPER_CLEARED: 11,
  STANDALONE_ENTERED: 12,
  STANDALONE_LEFT: 13,
  POWER_DOWN: 14,
  POWER_UP: 15,
  SETTING_CHANGED: 16,
  CLOCK_SET: 17,
  /** 'A' pressed while the gateway manages emergency credit (local limit 0): a request for it to decide. */
  EMERGENCY_REQUESTED: 18,
  /** Map revision 2: an STS credit token accepted on the keypad; value = its Wh (added to tokenCreditTotal). */
  TOKEN_CREDIT: 19,
} as const;

/** eventValue of RELAY_OPENED. */
export const OPEN_REASON = { REMOTE: 1, BACKUP_THRESHOLD: 2, LOCAL: 3 } as const;
/** eventValue of RELAY_CLOSED; LOCAL (3, service console relay test) is not in map revision 1's table. */
export const CLOSE_REASON = { REMOTE: 1, BUTTON: 2, LOCAL: 3 } as const;

/** Status bits (input 20). */
export const STATUS = {
  RELAY_CLOSED: 1 << 0,
  READY_FOR_RECONNECTION: 1 << 1,
  COVER_TAMPER: 1 << 2,
  MAGNETIC_TAMPER: 1 << 3,
  LOW_CREDIT: 1 << 4,
  CREDIT_EXHAUSTED: 1 << 5,
  STANDALONE: 1 << 6,
  BYPASS: 1 << 7,
  EMERGENCY_CREDIT: 1 << 8,
  LOW_CREDIT_2: 1 << 9,
} as const;

/** The latched tamper bits that coil 2 clears. */
export const LATCHED_BITS = STATUS.COVER_TAMPER | STATUS.MAGNETIC_TAMPER | STATUS.BYPASS;
/** The bits derived from creditBalance. */
export const CREDIT_BITS = STATUS.LOW_CREDIT | STATUS.LOW_CREDIT_2 | STATUS.CREDIT_EXHAUSTED;

export const MODEL_CODE = 0x5045;
/** The map revision served unless configured otherwise (revision 2: CoreConfig.mapRevision). */
export const MAP_REVISION = 1;
/** High byte major, low byte minor. */
export const FIRMWARE_VERSION = 0x0100;

export interface MeterEvent {
  /** 1, 2, ... since manufacture. */
  seq: number;
  type: number;
  /** Unix seconds by the meter clock, 0 when the clock was never set. */
  ts: number;
  value: number;
}

/** What the holding registers hold (minus the clock and the event window pointer). */
export interface Settings {
  creditBalance: number;
  lowCreditThreshold1: number;
  lowCreditThreshold2: number;
  emergencyCreditLimit: number;
  /** energyImport (Wh) at which the meter opens its relay by itself; 0 = disabled. */
  backupDisconnectThreshold: number;
  creditDecimals: number;
  reconnectMode: 0 | 1;
}

export type Parity = 'none' | 'even' | 'odd';

/** RS-485 line settings the technician may change on the console. */
export interface LineSettings {
  unitId: number;
  baudRate: number;
  parity: Parity;
}

/** Energy counters: written on every pulse, so kept apart from the rest (see persist/state-codec.ts). */
export interface EnergyState {
  importWh: number;
  exportWh: number;
  /** Pulse remainder in 1/1000 pulse-Wh units: each pulse adds 1000, each whole Wh takes impulsesPerKwh. */
  residue: number;
  /** Last energy register read from a metering module (Wh), for counting its increments; -1 = none yet. */
  moduleWh: number;
  /** Meter clock (Unix ms) when this was saved: a power-down is stamped with the last one. */
  savedAt: number;
}

/** Everything the meter must find again after a power cut. */
export interface MeterState {
  energy: EnergyState;
  relay: { state: RelayState; command: 0 | 1; openReason: number };
  settings: Settings;
  line: LineSettings;
  /** Latched tamper status bits (2, 3, 7). */
  latched: number;
  emergencyInUse: boolean;
  /** Credit status bits as last evaluated, so a reboot does not log their events twice. */
  creditFlags: number;
  /** Unix ms when standalone mode was entered; 0 = not standalone. */
  standaloneSince: number;
  clock: { offsetMs: number; set: boolean };
  events: { counter: number; log: MeterEvent[] };
  /** STS token identifiers accepted (ascending), for "accepted once". */
  tids: number[];
  /**
   * Map revision 2: keypad token credit, Wh. totalWh: every credit token accepted (never decreases);
   * bookedWh: the part the gateway took over (holding 17). Absent in states saved before revision 2 = 0, 0.
   */
  tokenCredit?: { totalWh: number; bookedWh: number };
}
