/**
 * The `prepaid` register map (protocols/profiles/prepaid.json) served from the meter core: reads
 * encode the live values, writes are validated against the map (range -> exception 03, split
 * multi-register value -> 03, read-only or undefined address -> 02) and refused by the meter's
 * state with exception 04. Plugs into the shared slave dispatch `handleRequest(model, pdu)`.
 */
import {
  decodeRegisterValue,
  encodeRegisterOrAbsent,
  encodeRegisterValue,
  EXCEPTION,
  illegalAddress,
  isPrepaidError,
  loadProfile,
  loadProfileRevision,
  ModbusExceptionError,
  registerWidth,
  type MeterProfile,
  type ModbusDataModel,
  type RegisterDef,
  type RegisterKind,
} from '@prepaid-edge/protocols';
import type { HoldingName, HoldingWrite, MeterCore } from '../core/meter-core.js';
import { FIRMWARE_VERSION, MODEL_CODE } from '../core/types.js';

interface Space {
  size: number;
  /** Register owning each address. */
  owner: Array<RegisterDef | undefined>;
  defs: RegisterDef[];
}

const FC_READ: Record<RegisterKind, number> = { coil: 0x01, discrete: 0x02, holding: 0x03, input: 0x04 };
const U32_MAX = 2 ** 32 - 1;

/** Map revision 2's gatewayMessage codes (holding 21). */
export type GatewayMessage = 1 | 2 | 3;

export class PrepaidRegisterModel implements ModbusDataModel {
  /** Holding 16: which event the window in input 25-31 shows (0 = newest). Not persisted. */
  eventLogIndex = 0;
  /** Holding 21 (revision 2): the last display message code the gateway wrote. Not persisted. */
  gatewayMessage = 0;
  /** Called with each nonzero gatewayMessage written (the firmware shows it). */
  onGatewayMessage: ((code: GatewayMessage) => void) | undefined;
  private readonly spaces: Record<RegisterKind, Space>;
  /** Read-side copies without min/max: a live 0 Hz (no metering module) must still encode. */
  private readonly readDefs = new Map<RegisterDef, RegisterDef>();

  constructor(
    private readonly core: MeterCore,
    private readonly serialNumber: number,
    readonly profile: MeterProfile = loadProfile('prepaid'),
  ) {
    const mk = (): Space => ({ size: 0, owner: [], defs: [] });
    this.spaces = { coil: mk(), discrete: mk(), holding: mk(), input: mk() };
    // Revision 2 serves what revisions/prepaid-2.json adds on top of the revision 1 map.
    const defs = core.mapRevision >= 2 ? [...profile.registers, ...loadProfileRevision(profile.id, 2).registers] : profile.registers;
    for (const d of defs) {
      const s = this.spaces[d.kind];
      s.defs.push(d);
      for (let i = 0; i < registerWidth(d.type); i++) s.owner[d.address + i] = d;
      s.size = Math.max(s.size, d.address + registerWidth(d.type));
      const { min: _min, max: _max, ...plain } = d;
      this.readDefs.set(d, plain);
    }
  }

  /** Current engineering value of a register of the map. */
  valueOf(name: string): number | null {
    const c = this.core;
    const s = c.state;
    const ev = s.events.log[s.events.log.length - 1 - this.eventLogIndex];
    switch (name) {
      case 'modelCode':
        return MODEL_CODE;
      case 'mapRevision':
        return c.mapRevision;
      case 'serialNumber':
        return this.serialNumber;
      case 'firmwareVersion':
        return FIRMWARE_VERSION;
      case 'voltageL1':
        return c.measurements().voltage;
      case 'currentL1':
        return c.measurements().current;
      case 'power':
        return c.measurements().power;
      case 'powerFactor':
        return c.measurements().powerFactor;
      case 'frequency':
        return c.measurements().frequency;
      case 'energyImport':
        return s.energy.importWh;
      case 'energyExport':
        return s.energy.exportWh;
      case 'status':
        return c.status();
      case 'relayState':
        return s.relay.state;
      case 'eventCounter':
        return s.events.counter % (U32_MAX + 1);
      case 'eventLogCount':
        return s.events.log.length;
      case 'eventType':
        return ev?.type ?? 0;
      case 'eventSeq':
        return ev ? ev.seq % (U32_MAX + 1) : 0;
      case 'eventTimestamp':
        return ev?.ts ?? 0;
      case 'eventValue':
        return ev?.value ?? 0;
      case 'clock':
        return Math.max(0, Math.min(U32_MAX, Math.floor(c.meterTimeMs() / 1000)));
      case 'eventLogIndex':
        return this.eventLogIndex;
      case 'tokenCreditTotal':
        return s.tokenCredit?.totalWh ?? 0;
      case 'tokenCreditBooked':
        return s.tokenCredit?.bookedWh ?? 0;
      case 'gatewayMessage':
        return this.gatewayMessage;
      case 'relayClosed':
        return c.relayReadback ? 1 : 0;
      case 'relayCommand':
        return s.relay.command;
      case 'tamperClear':
      case 'emergencyCreditRequest':
        return 0;
    }
    if (name in s.settings) return s.settings[name as keyof typeof s.settings];
    throw new RangeError(`prepaid map has no register ${name}`);
  }

  private words(kind: RegisterKind, address: number, count: number): Uint16Array {
    const s = this.spaces[kind];
    if (count < 1 || address + count > s.size) throw illegalAddress(FC_READ[kind], address, count);
    const out = new Uint16Array(count);
    for (const d of s.defs) {
      const w = registerWidth(d.type);
      if (d.address + w <= address || d.address >= address + count) continue;
      const enc = encodeRegisterOrAbsent(this.readDefs.get(d)!, this.valueOf(d.name));
      for (let i = 0; i < w; i++) {
        const a = d.address + i;
        if (a >= address && a < address + count) out[a - address] = enc[i]!;
      }
    }
    return out;
  }

  readCoils(address: number, count: number): boolean[] {
    return Array.from(this.words('coil', address, count), (w) => w !== 0);
  }
  readDiscreteInputs(address: number, count: number): boolean[] {
    return Array.from(this.words('discrete', address, count), (w) => w !== 0);
  }
  readHoldingRegisters(address: number, count: number): Uint16Array {
    return this.words('holding', address, count);
  }
  readInputRegisters(address: number, count: number): Uint16Array {
    return this.words('input', address, count);
  }

  writeRegisters(address: number, values: number[]): void {
    const fc = values.length === 1 ? 0x06 : 0x10;
    const touched = this.covered('holding', address, values.length, fc);
    const writes: HoldingWrite[] = [];
    let index: number | undefined;
    let message: number | undefined;
    for (const d of touched) {
      const off = d.address - address;
      let v: number;
      try {
        v = decodeRegisterValue(d, values.slice(off, off + registerWidth(d.type)));
      } catch (e) {
        if (isPrepaidError(e)) throw new ModbusExceptionError(fc, EXCEPTION.ILLEGAL_DATA_VALUE, `${d.name}: ${e.message}`);
        throw e;
      }
      if (!Number.isFinite(v) || (d.min !== undefined && v < d.min) || (d.max !== undefined && v > d.max))
        throw new ModbusExceptionError(fc, EXCEPTION.ILLEGAL_DATA_VALUE, `${d.name}=${v} outside ${d.min ?? '-inf'}..${d.max ?? 'inf'}`);
      if (d.name === 'eventLogIndex') index = v;
      else if (d.name === 'gatewayMessage') message = v;
      else writes.push({ name: d.name as HoldingName, address: d.address, value: v });
    }
    if (writes.length > 0) {
      const r = this.core.writeHolding(writes);
      if (!r.ok) throw new ModbusExceptionError(fc, EXCEPTION.SLAVE_DEVICE_FAILURE, r.reason);
    }
    if (index !== undefined) this.eventLogIndex = index;
    if (message !== undefined) {
      this.gatewayMessage = message;
      if (message !== 0) this.onGatewayMessage?.(message as GatewayMessage);
    }
  }

  writeCoils(address: number, values: boolean[]): void {
    const fc = values.length === 1 ? 0x05 : 0x0f;
    const touched = this.covered('coil', address, values.length, fc);
    touched.forEach((d, i) => {
      const on = values[i]!;
      let r: { ok: boolean; reason?: string } = { ok: true };
      if (d.name === 'relayCommand') r = this.core.remoteRelay(on);
      else if (d.name === 'tamperClear' && on) this.core.clearTamper();
      else if (d.name === 'emergencyCreditRequest' && on) r = this.core.requestEmergencyCredit();
      if (!r.ok) throw new ModbusExceptionError(fc, EXCEPTION.SLAVE_DEVICE_FAILURE, `${d.name}: ${r.reason}`);
    });
  }

  /** The writable registers a write covers exactly (no gaps, no read-only, no split values). */
  private covered(kind: RegisterKind, address: number, count: number, fc: number): RegisterDef[] {
    const s = this.spaces[kind];
    if (address + count > s.size) throw illegalAddress(fc, address, count);
    const out: RegisterDef[] = [];
    for (let a = address; a < address + count; a++) {
      const d = s.owner[a];
      if (!d || d.access === 'r') throw illegalAddress(fc, a, 1);
      if (out[out.length - 1] !== d) out.push(d);
    }
    const first = out[0]!;
    const last = out[out.length - 1]!;
    if (first.address !== address || last.address + registerWidth(last.type) !== address + count)
      throw new ModbusExceptionError(fc, EXCEPTION.ILLEGAL_DATA_VALUE, 'write splits a multi-register value');
    return out;
  }
}
