/**
 * Replies a meter sends: builders (simulator side) and parsers (gateway side).
 *   0x91 read data      DI0..DI3 value          (0xB1 when follow-up frames remain)
 *   0x92 read follow-up DI0..DI3 value SEQ      (0xB2 when more remain)
 *   0x93 read address   A0..A5
 *   0x94 write data     (no data)
 *   0x9C relay control  (no data)
 *   0xC0 | function     abnormal: one error byte (DLT645_ERROR_BITS), e.g. 0xD1, 0xD4, 0xDC
 */
import { frameError, PrepaidError } from '../errors.js';
import { dlt645AbnormalReply, type Dlt645Abnormal } from './abnormal.js';
import { dlt645AddressFromBytes, dlt645AddressToBytes, DLT645_ADDRESS_BYTES } from './address.js';
import { DLT645_FUNCTION } from './constants.js';
import { DLT645_DI_BYTES, dlt645DiFromBytes, dlt645DiToBytes, findDlt645DataItem } from './data-identifiers.js';
import { decodeDlt645Value, type Dlt645Reading } from './data-values.js';
import { encodeDlt645Control, encodeFrame, type Dlt645EncodeOptions, type Dlt645Frame } from './frame.js';

export interface Dlt645ReadReply {
  ok: true;
  di: string;
  /** The value bytes after the DI (and before SEQ in follow-up replies). */
  payload: Buffer;
  /** Offset of payload[0] in the decoded input, for error offsets. */
  payloadOffset: number;
  /** The meter has more frames: ask with encodeReadFollowUpRequest. */
  followUp: boolean;
  /** SEQ of a follow-up reply (function 0x12). */
  seq?: number;
}

export interface Dlt645AddressReply {
  ok: true;
  address: string;
}

export interface Dlt645AckReply {
  ok: true;
}

const reply = (functionCode: number, followUp = false): number => encodeDlt645Control({ functionCode, fromSlave: true, followUp });

export function encodeReadDataReply(
  address: string | number,
  di: string,
  payload: Uint8Array,
  opts: Dlt645EncodeOptions & { followUp?: boolean; seq?: number } = {},
): Buffer {
  const { followUp, seq, ...enc } = opts;
  if (seq !== undefined && (!Number.isInteger(seq) || seq < 0 || seq > 0xff))
    throw new PrepaidError('E_FRAME_VALUE', `sequence ${seq} is not a byte`, { path: 'seq' });
  const fn = seq === undefined ? DLT645_FUNCTION.READ_DATA : DLT645_FUNCTION.READ_FOLLOW_UP;
  const data = Buffer.concat([dlt645DiToBytes(di), payload, seq === undefined ? Buffer.alloc(0) : Buffer.of(seq)]);
  return encodeFrame({ address, control: reply(fn, followUp), data }, enc);
}

export function encodeReadAddressReply(address: string | number, opts?: Dlt645EncodeOptions): Buffer {
  return encodeFrame({ address, control: reply(DLT645_FUNCTION.READ_ADDRESS), data: dlt645AddressToBytes(address) }, opts);
}

export function encodeWriteDataReply(address: string | number, opts?: Dlt645EncodeOptions): Buffer {
  return encodeFrame({ address, control: reply(DLT645_FUNCTION.WRITE_DATA) }, opts);
}

export function encodeRelayControlReply(address: string | number, opts?: Dlt645EncodeOptions): Buffer {
  return encodeFrame({ address, control: reply(DLT645_FUNCTION.RELAY_CONTROL) }, opts);
}

/** Abnormal reply to `functionCode` with the ERR byte (OR of DLT645_ERROR_BITS). */
export function encodeAbnormalReply(address: string | number, functionCode: number, errorByte: number, opts?: Dlt645EncodeOptions): Buffer {
  if (!Number.isInteger(errorByte) || errorByte < 0 || errorByte > 0xff)
    throw new PrepaidError('E_FRAME_VALUE', `error byte ${errorByte} is not a byte`, { path: 'errorByte' });
  return encodeFrame({ address, control: encodeDlt645Control({ functionCode, fromSlave: true, abnormal: true }), data: Buffer.of(errorByte) }, opts);
}

/** Common checks: a reply (D7) to one of `functions`; abnormal replies become Dlt645Abnormal. */
function checkReply(frame: Dlt645Frame, functions: readonly number[]): Dlt645Abnormal | undefined {
  const controlAt = frame.dataOffset - 2;
  if (!frame.fromSlave) throw frameError('E_FRAME_FUNCTION', `control 0x${frame.control.toString(16)} is a request, not a reply`, controlAt);
  if (!functions.includes(frame.functionCode))
    throw frameError('E_FRAME_FUNCTION', `reply to function 0x${frame.functionCode.toString(16)}, expected 0x${functions[0]!.toString(16)}`, controlAt);
  if (!frame.abnormal) return undefined;
  if (frame.data.length < 1) throw frameError('E_FRAME_SHORT', 'abnormal reply without its error byte', frame.dataOffset);
  return dlt645AbnormalReply(frame.functionCode, frame.data[0]!);
}

/** Reply to read data (0x91/0xB1) or read follow-up (0x92/0xB2). `expectDi` rejects a reply about another DI. */
export function parseReadDataReply(frame: Dlt645Frame, expectDi?: string): Dlt645ReadReply | Dlt645Abnormal {
  const bad = checkReply(frame, [DLT645_FUNCTION.READ_DATA, DLT645_FUNCTION.READ_FOLLOW_UP]);
  if (bad) return bad;
  const { data, dataOffset: d } = frame;
  const isSeq = frame.functionCode === DLT645_FUNCTION.READ_FOLLOW_UP;
  const need = DLT645_DI_BYTES + (isSeq ? 1 : 0);
  if (data.length < need) throw frameError('E_FRAME_SHORT', `read reply needs at least ${need} data bytes, has ${data.length}`, d + data.length);
  const di = dlt645DiFromBytes(data, 0, d);
  if (expectDi !== undefined && di !== expectDi.toUpperCase())
    throw frameError('E_FRAME_VALUE', `reply is about DI ${di}, asked for ${expectDi.toUpperCase()}`, d, { path: 'di' });
  return {
    ok: true,
    di,
    payload: data.subarray(DLT645_DI_BYTES, data.length - (isSeq ? 1 : 0)),
    payloadOffset: d + DLT645_DI_BYTES,
    followUp: frame.followUp,
    ...(isSeq ? { seq: data[data.length - 1]! } : {}),
  };
}

/** Decode the value of a read reply for a DI in DLT645_DATA_ITEMS; unknown DIs throw E_FRAME_VALUE (path "di"). */
export function dlt645ReadingFromReply(r: Dlt645ReadReply): Dlt645Reading {
  const item = findDlt645DataItem(r.di);
  if (!item) throw frameError('E_FRAME_VALUE', `DI ${r.di} is not in the data identifier table`, r.payloadOffset - DLT645_DI_BYTES, { path: 'di' });
  return decodeDlt645Value(item, r.payload, r.payloadOffset);
}

export function parseReadAddressReply(frame: Dlt645Frame): Dlt645AddressReply | Dlt645Abnormal {
  const bad = checkReply(frame, [DLT645_FUNCTION.READ_ADDRESS]);
  if (bad) return bad;
  if (frame.data.length !== DLT645_ADDRESS_BYTES)
    throw frameError('E_FRAME_LENGTH', `address reply carries ${frame.data.length} bytes, not ${DLT645_ADDRESS_BYTES}`, frame.dataOffset - 1);
  return { ok: true, address: dlt645AddressFromBytes(frame.data, 0, frame.dataOffset) };
}

export function parseWriteDataReply(frame: Dlt645Frame): Dlt645AckReply | Dlt645Abnormal {
  return checkReply(frame, [DLT645_FUNCTION.WRITE_DATA]) ?? { ok: true };
}

export function parseRelayControlReply(frame: Dlt645Frame): Dlt645AckReply | Dlt645Abnormal {
  return checkReply(frame, [DLT645_FUNCTION.RELAY_CONTROL]) ?? { ok: true };
}
