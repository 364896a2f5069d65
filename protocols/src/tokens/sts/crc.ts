/**
 * STS token CRC: CRC-16/MODBUS over the 50-bit value (class << 48 | data block bits 16..63)
 * written as 7 big-endian bytes, with the two result bytes swapped.
 */
import { crc16Modbus } from '../../modbus/crc16.js';

export function stsCrc(tokenClass: number, dataBits48: bigint): number {
  const value = (BigInt(tokenClass & 3) << 48n) | (dataBits48 & 0xffff_ffff_ffffn);
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64BE(value);
  const crc = crc16Modbus(bytes, 1, 8);
  return ((crc & 0xff) << 8) | (crc >>> 8);
}
