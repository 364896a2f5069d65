/**
 * A meter's Modbus register space built from its profile (data), refreshed from the meter's
 * values by canonical name. Implements the protocols' ModbusDataModel, so the shared slave
 * dispatch answers requests; writes are validated against the profile before the meter sees them.
 */
import {
  encodeRegisterValue,
  decodeRegisterValue,
  registerWidth,
  illegalAddress,
  ModbusExceptionError,
  EXCEPTION,
  type MeterProfile,
  type ModbusDataModel,
  type RegisterDef,
  type RegisterKind,
} from '@prepaid-edge/protocols';

export type WriteHandler = (def: RegisterDef, value: number) => void;

interface Space {
  words: Uint16Array;
  /** Register that owns each address (undefined = gap). */
  owner: Array<RegisterDef | undefined>;
}

const FC_OF: Record<RegisterKind, number> = { coil: 0x01, discrete: 0x02, holding: 0x03, input: 0x04 };

export class RegisterBank implements ModbusDataModel {
  private readonly spaces: Record<RegisterKind, Space>;
  private readonly defs: readonly RegisterDef[];
  /** Values last written by a master (holding/coil), by register name. */
  readonly written = new Map<string, number>();

  constructor(
    readonly profile: MeterProfile,
    private readonly onWrite: WriteHandler = () => {},
  ) {
    this.defs = profile.registers;
    const size: Record<RegisterKind, number> = { coil: 0, discrete: 0, holding: 0, input: 0 };
    for (const d of this.defs) size[d.kind] = Math.max(size[d.kind], d.address + registerWidth(d.type));
    const mk = (k: RegisterKind): Space => ({ words: new Uint16Array(size[k]), owner: new Array(size[k]) });
    this.spaces = { coil: mk('coil'), discrete: mk('discrete'), holding: mk('holding'), input: mk('input') };
    for (const d of this.defs) {
      const s = this.spaces[d.kind];
      for (let i = 0; i < registerWidth(d.type); i++) s.owner[d.address + i] = d;
    }
  }

  /** Encode current values into the register words. Missing names keep their last value. */
  refresh(valueOf: (name: string) => number | undefined): void {
    for (const d of this.defs) {
      const v = this.written.has(d.name) ? this.written.get(d.name) : valueOf(d.name);
      if (v === undefined) continue;
      this.store(d, v);
    }
  }

  /** Set one register's value directly (meter-side updates). */
  set(name: string, value: number): void {
    const d = this.defs.find((x) => x.name === name);
    if (!d) throw new RangeError(`profile ${this.profile.id} has no register ${name}`);
    this.store(d, value);
  }

  get(name: string): number | undefined {
    const d = this.defs.find((x) => x.name === name);
    if (!d) return undefined;
    const s = this.spaces[d.kind];
    return decodeRegisterValue(d, s.words.subarray(d.address, d.address + registerWidth(d.type)));
  }

  private store(d: RegisterDef, v: number): void {
    const s = this.spaces[d.kind];
    let words: number[];
    try {
      words = encodeRegisterValue(d, v);
    } catch {
      return; // out of the register's range: keep the previous value, like a saturating meter
    }
    s.words.set(words, d.address);
  }

  private range(kind: RegisterKind, address: number, count: number): Uint16Array {
    const s = this.spaces[kind];
    if (address + count > s.words.length) throw illegalAddress(FC_OF[kind], address, count);
    let any = false;
    for (let i = address; i < address + count && !any; i++) any = s.owner[i] !== undefined && s.owner[i]!.access !== 'w';
    if (!any) throw illegalAddress(FC_OF[kind], address, count);
    return s.words.subarray(address, address + count);
  }

  readCoils(address: number, count: number): boolean[] {
    return Array.from(this.range('coil', address, count), (w) => w !== 0);
  }
  readDiscreteInputs(address: number, count: number): boolean[] {
    return Array.from(this.range('discrete', address, count), (w) => w !== 0);
  }
  readHoldingRegisters(address: number, count: number): Uint16Array {
    return this.range('holding', address, count);
  }
  readInputRegisters(address: number, count: number): Uint16Array {
    return this.range('input', address, count);
  }

  writeCoils(address: number, values: boolean[]): void {
    this.write('coil', address, values.map((b) => (b ? 1 : 0)), values.length === 1 ? 0x05 : 0x0f);
  }
  writeRegisters(address: number, values: number[]): void {
    this.write('holding', address, values, values.length === 1 ? 0x06 : 0x10);
  }

  /** Writes must cover whole writable registers and pass their range check, all or nothing. */
  private write(kind: RegisterKind, address: number, values: number[], fc: number): void {
    const s = this.spaces[kind];
    if (address + values.length > s.words.length) throw illegalAddress(fc, address, values.length);
    const touched: RegisterDef[] = [];
    for (let a = address; a < address + values.length; a++) {
      const d = s.owner[a];
      if (!d || d.access === 'r') throw illegalAddress(fc, a, 1);
      if (touched[touched.length - 1] !== d) touched.push(d);
    }
    const first = touched[0]!;
    const last = touched[touched.length - 1]!;
    if (first.address !== address || last.address + registerWidth(last.type) !== address + values.length)
      throw new ModbusExceptionError(fc, EXCEPTION.ILLEGAL_DATA_VALUE, 'write splits a multi-register value');
    const decoded = touched.map((d) => {
      const off = d.address - address;
      const v = decodeRegisterValue(d, values.slice(off, off + registerWidth(d.type)));
      if (!Number.isFinite(v) || (d.min !== undefined && v < d.min) || (d.max !== undefined && v > d.max))
        throw new ModbusExceptionError(fc, EXCEPTION.ILLEGAL_DATA_VALUE, `${d.name}=${v} outside ${d.min ?? '-inf'}..${d.max ?? 'inf'}`);
      return v;
    });
    touched.forEach((d, i) => this.onWrite(d, decoded[i]!)); // may throw ModbusExceptionError to refuse
    touched.forEach((d, i) => {
      this.written.set(d.name, decoded[i]!);
      this.store(d, decoded[i]!);
    });
  }
}
