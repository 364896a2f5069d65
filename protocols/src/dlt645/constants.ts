/**
 * DL/T 645-2007 constants: frame bytes, control code bits, function codes, relay commands and
 * the error bits of an abnormal reply. Protocol numbers stay numbers; tables name them.
 */

export const DLT645_START = 0x68;
export const DLT645_END = 0x16;
/** Wake-up byte a master may send (any count, often 4) before a frame. */
export const DLT645_PREAMBLE = 0xfe;
/** Every DATA byte travels plus this value (mod 256). */
export const DLT645_DATA_OFFSET = 0x33;
/** 68 + 6 address + 68 + C + L, before DATA. */
export const DLT645_HEADER_LENGTH = 10;
/** Header + CS + 16 around an empty DATA field. */
export const DLT645_MIN_FRAME = 12;
/** L is one byte. */
export const DLT645_MAX_DATA = 255;

/** Control byte bits (D7 direction, D6 abnormal reply, D5 follow-up frame, D4..D0 function). */
export const DLT645_CONTROL_BITS = {
  fromSlave: 0x80,
  abnormal: 0x40,
  followUp: 0x20,
  functionMask: 0x1f,
} as const;

/** Function codes (control byte D4..D0) this codec builds and parses. */
export const DLT645_FUNCTION = {
  TIME_SYNC: 0x08,
  READ_DATA: 0x11,
  READ_FOLLOW_UP: 0x12,
  READ_ADDRESS: 0x13,
  WRITE_DATA: 0x14,
  RELAY_CONTROL: 0x1c,
} as const;

export const DLT645_FUNCTION_NAMES: Readonly<Record<number, string>> = {
  0x08: 'broadcast time sync',
  0x11: 'read data',
  0x12: 'read follow-up data',
  0x13: 'read address',
  0x14: 'write data',
  0x15: 'write address',
  0x16: 'freeze',
  0x17: 'change baud rate',
  0x18: 'change password',
  0x19: 'clear maximum demand',
  0x1a: 'clear meter',
  0x1b: 'clear events',
  0x1c: 'relay control',
};

/** N1 of a 0x1C relay control request. */
export const DLT645_RELAY_COMMAND = {
  trip: 0x1a,
  /** The meter closes only when the customer presses its button. */
  closeAllowed: 0x1b,
  closeDirect: 0x1c,
  alarm: 0x2a,
  alarmRelease: 0x2b,
  /** Keep power: the meter refuses to trip (hospitals, friendly periods). */
  keepPower: 0x3a,
  keepPowerRelease: 0x3b,
} as const;

export type Dlt645RelayCommand = keyof typeof DLT645_RELAY_COMMAND;

export function dlt645RelayCommandName(n1: number): Dlt645RelayCommand | undefined {
  for (const [name, code] of Object.entries(DLT645_RELAY_COMMAND)) if (code === n1) return name as Dlt645RelayCommand;
  return undefined;
}

/** Bits of the one-byte error word (ERR) in an abnormal reply. Bit 7 is reserved. */
export const DLT645_ERROR_BITS = {
  other: 0x01,
  noRequestedData: 0x02,
  passwordOrUnauthorized: 0x04,
  baudRateUnchangeable: 0x08,
  tooManyYearZones: 0x10,
  tooManyDaySlots: 0x20,
  tooManyTariffs: 0x40,
} as const;

export type Dlt645ErrorName = keyof typeof DLT645_ERROR_BITS;

export const DLT645_ERROR_DESCRIPTIONS: Readonly<Record<Dlt645ErrorName, string>> = {
  other: 'other error',
  noRequestedData: 'no requested data',
  passwordOrUnauthorized: 'wrong password or not authorised',
  baudRateUnchangeable: 'communication rate cannot be changed',
  tooManyYearZones: 'too many year time zones',
  tooManyDaySlots: 'too many daily time slots',
  tooManyTariffs: 'too many tariffs',
};

/** Names of the bits set in an error byte, lowest bit first. */
export function dlt645ErrorNames(errorByte: number): Dlt645ErrorName[] {
  return (Object.keys(DLT645_ERROR_BITS) as Dlt645ErrorName[]).filter((n) => (errorByte & DLT645_ERROR_BITS[n]) !== 0);
}
