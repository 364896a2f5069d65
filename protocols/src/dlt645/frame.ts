/**
 * DL/T 645-2007 frame codec:
 *   [FE..]  68 | A0..A5 | 68 | C | L | DATA (L bytes, each +0x33) | CS | 16
 * CS is the sum mod 256 of every byte from the first 68 to the end of DATA.
 */
import { frameError, PrepaidError } from '../errors.js';
import { dlt645AddressFromBytes, dlt645AddressToBytes } from './address.js';
import {
  DLT645_CONTROL_BITS,
  DLT645_DATA_OFFSET,
  DLT645_END,
  DLT645_HEADER_LENGTH,
  DLT645_MAX_DATA,
  DLT645_MIN_FRAME,
  DLT645_PREAMBLE,
  DLT645_START,
} from './constants.js';

/** The control byte, taken apart. */
export interface Dlt645Control {
  /** D7: the frame is a reply from a meter (slave). */
  fromSlave: boolean;
  /** D6: abnormal reply; DATA holds the error byte. */
  abnormal: boolean;
  /** D5: more frames follow (read follow-up with 0x12). */
  followUp: boolean;
  /** D4..D0: 0x11 read, 0x12 read follow-up, 0x13 read address, 0x14 write, 0x08 time sync, 0x1C relay. */
  functionCode: number;
}

export interface Dlt645Frame extends Dlt645Control {
  /** 12 characters, most significant digit first; "AA" pairs are wildcards. */
  address: string;
  /** The whole control byte. */
  control: number;
  /** DATA with 0x33 already subtracted. */
  data: Buffer;
  /** Offset of DATA in the decoded input, so callers can report errors at wire offsets. */
  dataOffset: number;
}

export interface Dlt645FrameInput {
  address: string | number;
  control: number;
  /** Plain DATA; the encoder adds 0x33 to each byte. */
  data?: Uint8Array;
}

export interface Dlt645EncodeOptions {
  /** Number of 0xFE wake-up bytes sent before the frame (default 4). */
  preamble?: number;
}

export function decodeDlt645Control(control: number): Dlt645Control {
  return {
    fromSlave: (control & DLT645_CONTROL_BITS.fromSlave) !== 0,
    abnormal: (control & DLT645_CONTROL_BITS.abnormal) !== 0,
    followUp: (control & DLT645_CONTROL_BITS.followUp) !== 0,
    functionCode: control & DLT645_CONTROL_BITS.functionMask,
  };
}

export function encodeDlt645Control(c: Partial<Dlt645Control> & { functionCode: number }): number {
  if (!Number.isInteger(c.functionCode) || c.functionCode < 0 || c.functionCode > DLT645_CONTROL_BITS.functionMask)
    throw new PrepaidError('E_FRAME_VALUE', `function code ${c.functionCode} not in 0..0x1f`, { path: 'functionCode' });
  return (
    c.functionCode |
    (c.fromSlave ? DLT645_CONTROL_BITS.fromSlave : 0) |
    (c.abnormal ? DLT645_CONTROL_BITS.abnormal : 0) |
    (c.followUp ? DLT645_CONTROL_BITS.followUp : 0)
  );
}

/** Sum mod 256 of bytes[start, end). */
export function dlt645Checksum(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let sum = 0;
  for (let i = start; i < end; i++) sum = (sum + bytes[i]!) & 0xff;
  return sum;
}

export function encodeFrame(input: Dlt645FrameInput, opts: Dlt645EncodeOptions = {}): Buffer {
  const preamble = opts.preamble ?? 4;
  if (!Number.isInteger(preamble) || preamble < 0 || preamble > 64)
    throw new PrepaidError('E_FRAME_VALUE', `preamble ${preamble} not in 0..64`, { path: 'preamble' });
  if (!Number.isInteger(input.control) || input.control < 0 || input.control > 0xff)
    throw new PrepaidError('E_FRAME_VALUE', `control ${input.control} is not a byte`, { path: 'control' });
  const data = input.data ?? new Uint8Array(0);
  if (data.length > DLT645_MAX_DATA)
    throw new PrepaidError('E_FRAME_VALUE', `DATA of ${data.length} bytes exceeds ${DLT645_MAX_DATA}`, { path: 'data' });
  const out = Buffer.alloc(preamble + DLT645_MIN_FRAME + data.length, DLT645_PREAMBLE);
  const s = preamble;
  out[s] = DLT645_START;
  out.set(dlt645AddressToBytes(input.address), s + 1);
  out[s + 7] = DLT645_START;
  out[s + 8] = input.control;
  out[s + 9] = data.length;
  for (let i = 0; i < data.length; i++) out[s + DLT645_HEADER_LENGTH + i] = (data[i]! + DLT645_DATA_OFFSET) & 0xff;
  const cs = s + DLT645_HEADER_LENGTH + data.length;
  out[cs] = dlt645Checksum(out, s, cs);
  out[cs + 1] = DLT645_END;
  return out;
}

/** Index of the first byte that is not a 0xFE wake-up byte. */
export function dlt645SkipPreamble(buf: Uint8Array, from = 0): number {
  let i = from;
  while (i < buf.length && buf[i] === DLT645_PREAMBLE) i++;
  return i;
}

/**
 * Total frame length (from its first 68) declared by the header at `s`, or undefined while too few
 * bytes are in to tell. A wrong start byte throws E_FRAME_START.
 */
export function dlt645FrameLengthAt(buf: Uint8Array, s: number): number | undefined {
  if (buf.length <= s) return undefined;
  if (buf[s] !== DLT645_START) throw frameError('E_FRAME_START', `expected 0x68, found 0x${hex(buf[s]!)}`, s);
  if (buf.length <= s + 7) return undefined;
  if (buf[s + 7] !== DLT645_START) throw frameError('E_FRAME_START', `expected the second 0x68, found 0x${hex(buf[s + 7]!)}`, s + 7);
  if (buf.length <= s + 9) return undefined;
  return DLT645_MIN_FRAME + buf[s + 9]!;
}

/** Check and decode the complete frame of `total` bytes at `s` (header already checked by dlt645FrameLengthAt). */
export function dlt645DecodeFrameAt(buf: Uint8Array, s: number, total: number): Dlt645Frame {
  const cs = s + total - 2;
  const expected = dlt645Checksum(buf, s, cs);
  if (buf[cs] !== expected) throw frameError('E_FRAME_CHECKSUM', `checksum 0x${hex(buf[cs]!)} should be 0x${hex(expected)}`, cs);
  if (buf[cs + 1] !== DLT645_END) throw frameError('E_FRAME_END', `expected 0x16, found 0x${hex(buf[cs + 1]!)}`, cs + 1);
  const address = dlt645AddressFromBytes(buf, s + 1);
  const control = buf[s + 8]!;
  const dataOffset = s + DLT645_HEADER_LENGTH;
  const data = Buffer.alloc(total - DLT645_MIN_FRAME);
  for (let i = 0; i < data.length; i++) data[i] = (buf[dataOffset + i]! - DLT645_DATA_OFFSET) & 0xff;
  return { address, control, ...decodeDlt645Control(control), data, dataOffset };
}

/**
 * Decode exactly one frame, optionally preceded by 0xFE bytes. Errors carry the byte offset:
 * E_FRAME_START (either 68), E_FRAME_SHORT (fewer bytes than the header or L declares),
 * E_FRAME_LENGTH (more bytes than L declares; offset of L), E_FRAME_CHECKSUM, E_FRAME_END,
 * E_FRAME_BCD (address byte neither BCD nor AA).
 */
export function decodeFrame(buf: Uint8Array): Dlt645Frame {
  const s = dlt645SkipPreamble(buf);
  const total = dlt645FrameLengthAt(buf, s);
  if (total === undefined || buf.length < s + total) {
    const need = total === undefined ? `at least ${s + DLT645_MIN_FRAME}` : `${s + total}`;
    throw frameError('E_FRAME_SHORT', `frame needs ${need} bytes, has ${buf.length}`, buf.length);
  }
  if (buf.length > s + total)
    throw frameError('E_FRAME_LENGTH', `L=${total - DLT645_MIN_FRAME} declares a ${total}-byte frame, ${buf.length - s} bytes present`, s + 9);
  return dlt645DecodeFrameAt(buf, s, total);
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0');
}
