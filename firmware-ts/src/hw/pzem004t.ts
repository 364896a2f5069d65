/**
 * PZEM-004T v3.0 metering module (Peacefair): Modbus RTU at 9600 8N1, input registers 0-9 =
 * voltage 0.1 V, current 0.001 A (32 bit, low word first), power 0.1 W (32 bit, low word first),
 * energy 1 Wh (32 bit, low word first), frequency 0.1 Hz, power factor 0.01, alarm.
 * Pure codec for both sides: the firmware's driver and the virtual board's emulator.
 */
import { decodeRtu, encodeRegistersResponse, encodeRequest, encodeRtu, PrepaidError, parseResponse, type ModbusRequest } from '@prepaid-edge/protocols';
import type { ModuleReading } from '../core/meter-core.js';

/** Any single module answers this address. */
export const PZEM_GENERAL_ADDRESS = 0xf8;
export const PZEM_READ: ModbusRequest = { fc: 0x04, address: 0, count: 10 };

export function pzemReadRequest(address = PZEM_GENERAL_ADDRESS): Buffer {
  return encodeRtu(address, encodeRequest(PZEM_READ));
}

const u32lo = (lo: number, hi: number): number => lo + hi * 65536;

/** A whole reply frame -> reading; exceptions, bad CRC and short replies throw PrepaidError. */
export function parsePzemReply(frame: Uint8Array): Required<ModuleReading> {
  const { pdu } = decodeRtu(frame);
  const r = parseResponse(pdu, PZEM_READ, 1);
  if ('exception' in r) throw new PrepaidError('E_MODBUS_EXCEPTION', `PZEM-004T answered exception ${r.exception}`, { exception: r.exception });
  if (!('registers' in r)) throw new PrepaidError('E_MODBUS_REPLY', 'PZEM-004T reply is not a register read', { offset: 1 });
  const w = r.registers;
  return {
    voltage: w[0]! / 10,
    current: u32lo(w[1]!, w[2]!) / 1000,
    power: u32lo(w[3]!, w[4]!) / 10,
    energyWh: u32lo(w[5]!, w[6]!),
    frequency: w[7]! / 10,
    powerFactor: w[8]! / 100,
  };
}

export interface PzemValues {
  voltage: number;
  current: number;
  power: number;
  energyWh: number;
  frequency: number;
  powerFactor: number;
}

/** Register words the module would answer with (rounded to its resolution, 32-bit values wrap). */
export function pzemWords(v: PzemValues): number[] {
  const lohi = (x: number): [number, number] => {
    const n = Math.max(0, Math.round(x)) % 2 ** 32;
    return [n % 65536, Math.floor(n / 65536)];
  };
  return [
    Math.min(0xffff, Math.max(0, Math.round(v.voltage * 10))),
    ...lohi(v.current * 1000),
    ...lohi(v.power * 10),
    ...lohi(v.energyWh),
    Math.min(0xffff, Math.max(0, Math.round(v.frequency * 10))),
    Math.min(100, Math.max(0, Math.round(v.powerFactor * 100))),
    0,
  ];
}

export function encodePzemReply(address: number, v: PzemValues): Buffer {
  return encodeRtu(address, encodeRegistersResponse(0x04, pzemWords(v)));
}
