/**
 * A Modbus master on one bus, over modbus-serial (RTU on a serial device, or TCP). It opens the
 * line lazily, reopens it after failures, and turns modbus-serial's errors into stable codes.
 */
import modbusSerial from 'modbus-serial';
import type { ModbusRTU } from 'modbus-serial/ModbusRTU.js';
import { PrepaidError, type RegisterKind } from '@prepaid-edge/protocols';
import type { RtuBusConfig, TcpBusConfig } from '../../core/config/gateway-config.js';

type Ctor = new () => ModbusRTU;
const ModbusClient: Ctor =
  typeof modbusSerial === 'function' ? (modbusSerial as unknown as Ctor) : (modbusSerial as unknown as { default: Ctor }).default;

/**
 * modbus-serial 8 gives no code for a damaged reply: it calls back with a plain Error whose message
 * is one of these fixed texts (index.js, `_onReceive`). They are named once, here, and compared as
 * prefixes; a timeout is its TransactionTimedOutError (errno ETIMEDOUT), an exception has `modbusCode`.
 */
const REPLY_FAULTS: ReadonlyArray<readonly [text: string, code: 'E_MODBUS_CRC' | 'E_MODBUS_REPLY']> = [
  ['CRC error', 'E_MODBUS_CRC'],
  ['Data length error', 'E_MODBUS_REPLY'],
  ['Unexpected data error', 'E_MODBUS_REPLY'],
];

/** Map a modbus-serial failure onto our codes (anything unknown: the bus is unavailable, reopened). */
export function classifyModbusError(e: unknown, ctx: Record<string, unknown>): PrepaidError {
  if (e instanceof PrepaidError) return e;
  const err = e as { message?: string; modbusCode?: number; errno?: string; name?: string } | undefined;
  const msg = err?.message ?? String(e);
  if (typeof err?.modbusCode === 'number')
    return new PrepaidError('E_MODBUS_EXCEPTION', `exception ${err.modbusCode}: ${msg}`, { ...ctx, exception: err.modbusCode }, { cause: e });
  if (err?.errno === 'ETIMEDOUT' || err?.name === 'TransactionTimedOutError') return new PrepaidError('E_MODBUS_TIMEOUT', msg, ctx, { cause: e });
  const fault = REPLY_FAULTS.find(([text]) => msg.startsWith(text));
  if (fault) return new PrepaidError(fault[1], msg, ctx, { cause: e });
  return new PrepaidError('E_BUS_UNAVAILABLE', msg, ctx, { cause: e });
}

export interface ModbusMaster {
  read(unit: number, kind: RegisterKind, address: number, count: number): Promise<number[]>;
  writeCoil(unit: number, address: number, value: boolean): Promise<void>;
  writeRegisters(unit: number, address: number, words: number[]): Promise<void>;
  close(): Promise<void>;
}

export class ModbusSerialMaster implements ModbusMaster {
  private client: ModbusRTU | undefined;
  private opening: Promise<ModbusRTU> | undefined;

  constructor(private readonly bus: RtuBusConfig | TcpBusConfig) {}

  private async open(): Promise<ModbusRTU> {
    if (this.client?.isOpen) return this.client;
    this.opening ??= (async () => {
      const c = new ModbusClient();
      try {
        if (this.bus.type === 'tcp') await c.connectTCP(this.bus.host, { port: this.bus.port });
        else await c.connectRTUBuffered(this.bus.path, { baudRate: this.bus.baudRate, parity: this.bus.parity, stopBits: this.bus.stopBits, dataBits: 8 });
      } catch (e) {
        throw new PrepaidError('E_BUS_UNAVAILABLE', `cannot open bus ${this.bus.id}: ${(e as Error).message}`, { bus: this.bus.id }, { cause: e });
      } finally {
        this.opening = undefined;
      }
      c.setTimeout(this.bus.timeoutMs);
      this.client = c;
      return c;
    })();
    return this.opening;
  }

  /** `what` is built only on failure: this runs for every transaction (footprint bench: GC). */
  private async call<T>(unit: number, what: () => string, fn: (c: ModbusRTU) => Promise<T>): Promise<T> {
    const c = this.client?.isOpen ? this.client : await this.open();
    c.setID(unit);
    try {
      return await fn(c);
    } catch (e) {
      const err = classifyModbusError(e, { bus: this.bus.id, unit, op: what() });
      // A dropped TCP connection or unplugged adapter: reopen on the next call.
      if (err.code === 'E_BUS_UNAVAILABLE' || (this.bus.type === 'tcp' && !c.isOpen)) await this.drop();
      throw err;
    }
  }

  async read(unit: number, kind: RegisterKind, address: number, count: number): Promise<number[]> {
    return this.call(unit, () => `read ${kind} ${address}+${count}`, async (c) => {
      switch (kind) {
        case 'coil':
          return (await c.readCoils(address, count)).data.slice(0, count).map((b) => (b ? 1 : 0));
        case 'discrete':
          return (await c.readDiscreteInputs(address, count)).data.slice(0, count).map((b) => (b ? 1 : 0));
        case 'holding':
          return (await c.readHoldingRegisters(address, count)).data;
        case 'input':
          return (await c.readInputRegisters(address, count)).data;
      }
    });
  }

  async writeCoil(unit: number, address: number, value: boolean): Promise<void> {
    await this.call(unit, () => `write coil ${address}`, (c) => c.writeCoil(address, value));
  }

  async writeRegisters(unit: number, address: number, words: number[]): Promise<void> {
    await this.call(unit, () => `write registers ${address}+${words.length}`, (c) => c.writeRegisters(address, words));
  }

  private async drop(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (c) await new Promise<void>((r) => c.close(() => r()));
  }

  close(): Promise<void> {
    return this.drop();
  }
}
