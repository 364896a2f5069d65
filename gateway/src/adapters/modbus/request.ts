/**
 * What every master shares: the request a ModbusMaster call stands for, the words a reply carries,
 * and the errors (stable codes) a failed transaction ends in.
 */
import { EXCEPTION_NAMES, PrepaidError, type ModbusRequest, type ModbusResponse, type RegisterKind } from '@prepaid-edge/protocols';
import type { ModbusMaster } from '../acquisition/modbus-transport.js';

const READ_FC = { coil: 0x01, discrete: 0x02, holding: 0x03, input: 0x04 } as const;

export function readRequest(kind: RegisterKind, address: number, count: number): ModbusRequest {
  return { fc: READ_FC[kind], address, count };
}

/** The values of a read reply as numbers (bits as 0/1). */
export function wordsOf(res: ModbusResponse): number[] {
  if ('registers' in res) return res.registers;
  if ('bits' in res) return res.bits.map((b) => (b ? 1 : 0));
  return [];
}

export type Ctx = Record<string, unknown>;

export const timeoutError = (ctx: Ctx, ms: number): PrepaidError => new PrepaidError('E_MODBUS_TIMEOUT', `no reply within ${ms} ms`, ctx);
export const unavailable = (ctx: Ctx, why: string, cause?: unknown): PrepaidError =>
  new PrepaidError('E_BUS_UNAVAILABLE', why, ctx, cause === undefined ? undefined : { cause });
export const crcError = (ctx: Ctx, why: string): PrepaidError => new PrepaidError('E_MODBUS_CRC', why, ctx);
export const replyError = (ctx: Ctx, why: string, cause?: unknown): PrepaidError =>
  new PrepaidError('E_MODBUS_REPLY', why, ctx, cause === undefined ? undefined : { cause });
export const exceptionError = (ctx: Ctx, exception: number): PrepaidError =>
  new PrepaidError('E_MODBUS_EXCEPTION', `exception ${exception}: ${EXCEPTION_NAMES[exception] ?? 'unknown'}`, { ...ctx, exception });

/** Counters a master keeps about its line (beside the poller's per-meter health). */
export interface MasterStats {
  requests: number;
  replies: number;
  timeouts: number;
  crcErrors: number;
  exceptions: number;
  /** Replies with no request waiting: late replies, other units, other masters, garbage. */
  stray: number;
  reconnects: number;
}

export const newStats = (): MasterStats => ({ requests: 0, replies: 0, timeouts: 0, crcErrors: 0, exceptions: 0, stray: 0, reconnects: 0 });

/** The ModbusMaster calls, each one request through the master's own `transact`. */
export abstract class RequestMaster implements ModbusMaster {
  abstract transact(unit: number, req: ModbusRequest): Promise<ModbusResponse>;
  abstract close(): Promise<void>;

  read(unit: number, kind: RegisterKind, address: number, count: number): Promise<number[]> {
    return this.transact(unit, readRequest(kind, address, count)).then(wordsOf);
  }

  async writeCoil(unit: number, address: number, value: boolean): Promise<void> {
    await this.transact(unit, { fc: 0x05, address, value });
  }

  async writeRegisters(unit: number, address: number, words: number[]): Promise<void> {
    await this.transact(unit, { fc: 0x10, address, values: words });
  }
}
