/** The pin map file (schema: firmware-ts/config/pin-map.schema.json): what is wired where. */
import { checkAgainstSchema, CONFIG_DIR_URL, loadJsonFile } from '../schema-check.js';

export type PinId = number | string;

export interface InputPin {
  pin: PinId;
  activeLow: boolean;
  pullup: boolean;
}

export type RelayPins = { type: 'NO' | 'NC'; pin: PinId } | { type: 'latching'; setPin: PinId; resetPin: PinId; pulseMs?: number };

export interface PinMap {
  s0: InputPin;
  relay: RelayPins;
  relayFeedback?: InputPin;
  button?: InputPin;
  cover?: InputPin;
  magnetic?: InputPin;
  buzzer?: { pin: PinId };
  leds?: { lowCredit?: PinId; tamper?: PinId; comms?: PinId };
  lcd?: { controller: string; address: number; rows: number; cols: number };
  keypad?: { controller: '4X4_I2C_NANO_BACKPACK'; address: number };
  meteringModule?: { type: 'PZEM004T'; portId: number | string; rxPin?: PinId; txPin?: PinId; address: number };
  rs485?: { dePin?: PinId };
}

export const PIN_MAP_SCHEMA = 'pin-map.schema.json';

export function checkPinMap(input: unknown, source?: string): PinMap {
  return checkAgainstSchema<PinMap>(PIN_MAP_SCHEMA, input, source);
}

export function loadPinMap(file: string): PinMap {
  return loadJsonFile<PinMap>(PIN_MAP_SCHEMA, file);
}

/** The shipped pin map of the virtual board. */
export function virtualPinMap(): PinMap {
  return loadJsonFile<PinMap>(PIN_MAP_SCHEMA, new URL('pins.virtual.json', CONFIG_DIR_URL).pathname);
}
