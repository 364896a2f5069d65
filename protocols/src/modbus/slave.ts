/**
 * Pure Modbus slave: turns a request PDU into a reply PDU against a data model.
 * Transports (RTU bus, TCP server, firmware serial port) wrap this; none of them decode PDUs themselves.
 */
import { isPrepaidError } from '../errors.js';
import { EXCEPTION } from './constants.js';
import {
  encodeBitsResponse,
  encodeException,
  encodeRegistersResponse,
  encodeWriteEcho,
  ModbusExceptionError,
  parseRequest,
  type ModbusRequest,
} from './pdu.js';

/**
 * What a slave device exposes. Reads return the values or throw ModbusExceptionError
 * (e.g. illegal data address); writes validate and throw likewise.
 */
export interface ModbusDataModel {
  readCoils(address: number, count: number): boolean[];
  readDiscreteInputs(address: number, count: number): boolean[];
  readHoldingRegisters(address: number, count: number): ArrayLike<number>;
  readInputRegisters(address: number, count: number): ArrayLike<number>;
  writeCoils(address: number, values: boolean[]): void;
  writeRegisters(address: number, values: number[]): void;
}

/** Apply a parsed request to the model and build the reply PDU. */
export function applyRequest(model: ModbusDataModel, req: ModbusRequest): Buffer {
  switch (req.fc) {
    case 0x01:
      return encodeBitsResponse(0x01, model.readCoils(req.address, req.count));
    case 0x02:
      return encodeBitsResponse(0x02, model.readDiscreteInputs(req.address, req.count));
    case 0x03:
      return encodeRegistersResponse(0x03, model.readHoldingRegisters(req.address, req.count));
    case 0x04:
      return encodeRegistersResponse(0x04, model.readInputRegisters(req.address, req.count));
    case 0x05:
      model.writeCoils(req.address, [req.value]);
      return encodeWriteEcho(0x05, req.address, req.value ? 0xff00 : 0);
    case 0x06:
      model.writeRegisters(req.address, [req.value]);
      return encodeWriteEcho(0x06, req.address, req.value);
    case 0x0f:
      model.writeCoils(req.address, req.values);
      return encodeWriteEcho(0x0f, req.address, req.values.length);
    case 0x10:
      model.writeRegisters(req.address, req.values);
      return encodeWriteEcho(0x10, req.address, req.values.length);
  }
}

/**
 * Whole slave step: request PDU in, reply PDU out. Never throws: malformed PDUs and model
 * failures become exception replies (04 slave device failure for anything unexpected).
 */
export function handleRequest(model: ModbusDataModel, pdu: Uint8Array): Buffer {
  const fc = pdu[0] ?? 0;
  try {
    return applyRequest(model, parseRequest(pdu));
  } catch (e) {
    if (e instanceof ModbusExceptionError) return encodeException(fc & 0x7f, e.exception);
    if (isPrepaidError(e)) return encodeException(fc & 0x7f, EXCEPTION.ILLEGAL_DATA_VALUE);
    return encodeException(fc & 0x7f, EXCEPTION.SLAVE_DEVICE_FAILURE);
  }
}

export function illegalAddress(fc: number, address: number, count: number): ModbusExceptionError {
  return new ModbusExceptionError(fc, EXCEPTION.ILLEGAL_DATA_ADDRESS, `no data at ${address}..${address + count - 1}`);
}
