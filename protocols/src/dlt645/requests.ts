/**
 * Requests a master sends: builders (gateway side) and the parser a meter uses (simulator side).
 * Layouts (DATA shown before the +0x33 line coding):
 *   0x11 read data     DI0..DI3 [N, or N mm hh DD MM YY for load profiles]
 *   0x12 read follow-up DI0..DI3 SEQ
 *   0x13 read address  (no data; address AAAAAAAAAAAA)
 *   0x14 write data    DI0..DI3 PA P0 P1 P2 C0..C3 value
 *   0x08 time sync     ss mm hh DD MM YY (address 999999999999, no reply)
 *   0x1C relay control PA P0 P1 P2 C0..C3 N1 N2 N3..N8 (N1 command, N2 reserved, N3..N8 expiry ss mm hh DD MM YY)
 */
import { frameError, PrepaidError } from '../errors.js';
import { DLT645_BROADCAST_ADDRESS, DLT645_WILDCARD_ADDRESS } from './address.js';
import { DLT645_FUNCTION, DLT645_RELAY_COMMAND, dlt645RelayCommandName, type Dlt645RelayCommand } from './constants.js';
import { DLT645_CREDENTIALS_BYTES, decodeDlt645Credentials, encodeDlt645Credentials, type Dlt645Credentials } from './credentials.js';
import { DLT645_DI_BYTES, dlt645DiFromBytes, dlt645DiToBytes } from './data-identifiers.js';
import { encodeFrame, type Dlt645EncodeOptions, type Dlt645Frame } from './frame.js';
import { DLT645_DATE_TIME_BYTES, decodeDlt645DateTime, encodeDlt645DateTime, type Dlt645DateTime } from './time.js';

export type Dlt645Request =
  | { kind: 'readData'; address: string; di: string; /** Bytes after the DI (block count, load-profile start), usually empty. */ extra: Buffer }
  | { kind: 'readFollowUp'; address: string; di: string; seq: number }
  | { kind: 'readAddress'; address: string }
  | { kind: 'writeData'; address: string; di: string; credentials: Dlt645Credentials; payload: Buffer }
  | { kind: 'timeSync'; address: string; time: Dlt645DateTime }
  | {
      kind: 'relayControl';
      address: string;
      credentials: Dlt645Credentials;
      /** N1 as sent. */
      command: number;
      /** Its name, when N1 is one of DLT645_RELAY_COMMAND. */
      commandName?: Dlt645RelayCommand;
      expiry: Dlt645DateTime;
    };

export interface Dlt645RelayControlInput {
  command: Dlt645RelayCommand | number;
  credentials: Dlt645Credentials;
  /** Meter-local time after which the meter ignores the command. */
  expiry: Dlt645DateTime;
}

const RELAY_DATA_BYTES = DLT645_CREDENTIALS_BYTES + 2 + DLT645_DATE_TIME_BYTES;

export function encodeReadDataRequest(address: string | number, di: string, opts?: Dlt645EncodeOptions): Buffer {
  return encodeFrame({ address, control: DLT645_FUNCTION.READ_DATA, data: dlt645DiToBytes(di) }, opts);
}

export function encodeReadFollowUpRequest(address: string | number, di: string, seq: number, opts?: Dlt645EncodeOptions): Buffer {
  if (!Number.isInteger(seq) || seq < 0 || seq > 0xff) throw new PrepaidError('E_FRAME_VALUE', `sequence ${seq} is not a byte`, { path: 'seq' });
  return encodeFrame({ address, control: DLT645_FUNCTION.READ_FOLLOW_UP, data: Buffer.concat([dlt645DiToBytes(di), Buffer.of(seq)]) }, opts);
}

/** Ask the only meter on a point-to-point line for its address. */
export function encodeReadAddressRequest(opts?: Dlt645EncodeOptions): Buffer {
  return encodeFrame({ address: DLT645_WILDCARD_ADDRESS, control: DLT645_FUNCTION.READ_ADDRESS }, opts);
}

export function encodeWriteDataRequest(
  address: string | number,
  di: string,
  credentials: Dlt645Credentials,
  payload: Uint8Array,
  opts?: Dlt645EncodeOptions,
): Buffer {
  const data = Buffer.concat([dlt645DiToBytes(di), encodeDlt645Credentials(credentials), payload]);
  return encodeFrame({ address, control: DLT645_FUNCTION.WRITE_DATA, data }, opts);
}

export function encodeRelayControlRequest(address: string | number, input: Dlt645RelayControlInput, opts?: Dlt645EncodeOptions): Buffer {
  const n1 = typeof input.command === 'number' ? input.command : DLT645_RELAY_COMMAND[input.command];
  if (!Number.isInteger(n1) || n1 < 0 || n1 > 0xff)
    throw new PrepaidError('E_FRAME_VALUE', `relay command ${String(input.command)} is unknown`, { path: 'command' });
  const data = Buffer.concat([encodeDlt645Credentials(input.credentials), Buffer.of(n1, 0x00), encodeDlt645DateTime(input.expiry, 'expiry')]);
  return encodeFrame({ address, control: DLT645_FUNCTION.RELAY_CONTROL, data }, opts);
}

/** Broadcast clock setting; meters do not answer it. */
export function encodeTimeSync(time: Dlt645DateTime, opts?: Dlt645EncodeOptions): Buffer {
  return encodeFrame({ address: DLT645_BROADCAST_ADDRESS, control: DLT645_FUNCTION.TIME_SYNC, data: encodeDlt645DateTime(time) }, opts);
}

/**
 * Meter side: what a master asked for. Replies (D7 set) and functions outside the table throw
 * E_FRAME_FUNCTION at the control byte; DATA of the wrong size throws E_FRAME_LENGTH at L.
 */
export function parseDlt645Request(frame: Dlt645Frame): Dlt645Request {
  const { data, dataOffset: d, address } = frame;
  const controlAt = d - 2;
  const lengthAt = d - 1;
  if (frame.fromSlave) throw frameError('E_FRAME_FUNCTION', `control 0x${frame.control.toString(16)} is a reply, not a request`, controlAt);
  const size = (ok: boolean, want: string): void => {
    if (!ok) throw frameError('E_FRAME_LENGTH', `function 0x${frame.functionCode.toString(16)} needs ${want} data bytes, has ${data.length}`, lengthAt);
  };
  switch (frame.functionCode) {
    case DLT645_FUNCTION.READ_DATA:
      size(data.length >= DLT645_DI_BYTES, `at least ${DLT645_DI_BYTES}`);
      return { kind: 'readData', address, di: dlt645DiFromBytes(data, 0, d), extra: data.subarray(DLT645_DI_BYTES) };
    case DLT645_FUNCTION.READ_FOLLOW_UP:
      size(data.length === DLT645_DI_BYTES + 1, `${DLT645_DI_BYTES + 1}`);
      return { kind: 'readFollowUp', address, di: dlt645DiFromBytes(data, 0, d), seq: data[DLT645_DI_BYTES]! };
    case DLT645_FUNCTION.READ_ADDRESS:
      size(data.length === 0, '0');
      return { kind: 'readAddress', address };
    case DLT645_FUNCTION.WRITE_DATA:
      size(data.length >= DLT645_DI_BYTES + DLT645_CREDENTIALS_BYTES, `at least ${DLT645_DI_BYTES + DLT645_CREDENTIALS_BYTES}`);
      return {
        kind: 'writeData',
        address,
        di: dlt645DiFromBytes(data, 0, d),
        credentials: decodeDlt645Credentials(data, DLT645_DI_BYTES, d),
        payload: data.subarray(DLT645_DI_BYTES + DLT645_CREDENTIALS_BYTES),
      };
    case DLT645_FUNCTION.TIME_SYNC:
      size(data.length === DLT645_DATE_TIME_BYTES, `${DLT645_DATE_TIME_BYTES}`);
      return { kind: 'timeSync', address, time: decodeDlt645DateTime(data, 0, d) };
    case DLT645_FUNCTION.RELAY_CONTROL: {
      size(data.length === RELAY_DATA_BYTES, `${RELAY_DATA_BYTES}`);
      const command = data[DLT645_CREDENTIALS_BYTES]!;
      const commandName = dlt645RelayCommandName(command);
      return {
        kind: 'relayControl',
        address,
        credentials: decodeDlt645Credentials(data, 0, d),
        command,
        ...(commandName ? { commandName } : {}),
        expiry: decodeDlt645DateTime(data, DLT645_CREDENTIALS_BYTES + 2, d),
      };
    }
    default:
      throw frameError('E_FRAME_FUNCTION', `function 0x${frame.functionCode.toString(16)} is not supported`, controlAt);
  }
}
