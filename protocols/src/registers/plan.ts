/**
 * Read coalescing: turn a register list into as few Modbus reads as possible, and map the
 * words of each read back to named values. On a 9600-baud bus each extra request costs a
 * turnaround plus two silent intervals, so one 76-register read beats ten 2-register reads.
 */
import { PrepaidError } from '../errors.js';
import { registerWidth } from './raw-words.js';
import { show } from './show.js';
import { isBitKind, REGISTER_KINDS, type RegisterDef, type RegisterKind } from './types.js';
import { decodeRegisterValue, encodeRegisterValue } from './value-codec.js';

export interface ReadBlock {
  kind: RegisterKind;
  address: number;
  count: number;
  registers: RegisterDef[];
}

export interface PlanOptions {
  /** Most registers in one FC 03/04 read. Default and maximum 125 (the Modbus PDU limit). */
  maxRegisters?: number;
  /** Most bits in one FC 01/02 read. Default and maximum 2000. */
  maxBits?: number;
  /**
   * Most unused addresses a block may span to join two registers, default 16. Reading the
   * filler costs 2 bytes a register; some meters answer "illegal address" for holes, so use 0 for them.
   */
  maxGap?: number;
}

function option(value: number | undefined, name: string, fallback: number, min: number, max: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min || v > max) throw new PrepaidError('E_VALUE_RANGE', `planReads: ${name} ${show(v)} not an integer in ${min}..${max}`, { path: name, value: v });
  return v;
}

/**
 * Coalesce the readable registers (access 'r' or 'rw') of each kind into blocks, sorted by
 * kind (coil, discrete, holding, input = FC 01..04) then address. A block never mixes kinds,
 * never exceeds maxRegisters / maxBits, and bridges at most maxGap unused addresses.
 * Greedy extension in address order gives the fewest blocks under these rules.
 */
export function planReads(defs: readonly RegisterDef[], opts: PlanOptions = {}): ReadBlock[] {
  const maxRegisters = option(opts.maxRegisters, 'maxRegisters', 125, 1, 125);
  const maxBits = option(opts.maxBits, 'maxBits', 2000, 1, 2000);
  const maxGap = option(opts.maxGap, 'maxGap', 16, 0, 0xffff);
  const blocks: ReadBlock[] = [];
  for (const kind of REGISTER_KINDS) {
    const limit = isBitKind(kind) ? maxBits : maxRegisters;
    const regs = defs.filter((d) => d.kind === kind && d.access !== 'w').sort((a, b) => a.address - b.address);
    let block: ReadBlock | undefined;
    let end = 0; // one past the last address the current block must cover
    for (const def of regs) {
      const width = registerWidth(def.type);
      if (width > limit) throw new PrepaidError('E_VALUE_RANGE', `planReads: ${def.name} (${width} words) does not fit a ${limit}-register read`, { path: 'maxRegisters', register: def.name });
      const defEnd = def.address + width;
      if (block && def.address - end <= maxGap && Math.max(end, defEnd) - block.address <= limit) {
        block.registers.push(def);
        end = Math.max(end, defEnd);
        block.count = end - block.address;
      } else {
        block = { kind, address: def.address, count: width, registers: [def] };
        blocks.push(block);
        end = defEnd;
      }
    }
  }
  return blocks;
}

export interface PollPlan {
  /** Reads every poll makes. */
  every: ReadBlock[];
  /** Reads of the `poll: 'slow'` registers, planned apart so they never widen an every-poll read. */
  slow: ReadBlock[];
}

/**
 * planReads for a poller: the registers read at every poll and the slow ones (settings, identity),
 * each coalesced on its own. With none marked slow, `every` equals planReads(defs) and `slow` is empty.
 */
export function planPollReads(defs: readonly RegisterDef[], opts: PlanOptions = {}): PollPlan {
  return { every: planReads(defs.filter((d) => d.poll !== 'slow'), opts), slow: planReads(defs.filter((d) => d.poll === 'slow'), opts) };
}

function span(block: ReadBlock, def: RegisterDef): { offset: number; width: number } {
  const width = registerWidth(def.type);
  const offset = def.address - block.address;
  if (def.kind !== block.kind || offset < 0 || offset + width > block.count) {
    throw new PrepaidError('E_VALUE_RANGE', `${def.name} (${def.kind} ${def.address}) lies outside the ${block.kind} block ${block.address}+${block.count}`, { path: def.name, register: def.name });
  }
  return { offset, width };
}

/**
 * Words of one read (indexed from block.address; for coil/discrete one 0/1 per bit, extra
 * trailing bits from byte padding are ignored) -> engineering values by register name.
 * Errors from a register carry its name and an offset into `words` (bytes: 2 a word; bits: 1 a bit).
 */
export function decodeBlock(block: ReadBlock, words: ArrayLike<number>): Record<string, number> {
  const perItem = isBitKind(block.kind) ? 1 : 2;
  if (words.length < block.count) {
    throw new PrepaidError('E_FRAME_SHORT', `block ${block.kind} ${block.address}+${block.count} got only ${words.length} value(s)`, { offset: words.length * perItem });
  }
  const out: Record<string, number> = {};
  for (const def of block.registers) {
    const { offset, width } = span(block, def);
    try {
      const w = Array.prototype.slice.call(words, offset, offset + width) as number[];
      if (def.notAvailable !== undefined && decodeRegisterValue(rawDef(def), w) === def.notAvailable) continue; // not measured: absent
      out[def.name] = decodeRegisterValue(def, w);
    } catch (e) {
      if (!(e instanceof PrepaidError)) throw e;
      const at = offset * perItem + (e.context.offset ?? 0) / (perItem === 1 ? 2 : 1);
      throw new PrepaidError(e.code, `${def.name}: ${e.message.replace(/ \(at byte \d+\)$/, '')}`, { ...e.context, offset: at, register: def.name }, { cause: e });
    }
  }
  return out;
}

/**
 * The inverse of decodeBlock, for slaves and simulators: values by register name -> the words
 * of the block (unused addresses and registers missing from `values` are 0).
 */
export function encodeBlock(block: ReadBlock, values: Readonly<Record<string, number | null>>): number[] {
  const words = new Array<number>(block.count).fill(0);
  for (const def of block.registers) {
    if (!Object.hasOwn(values, def.name)) continue;
    const { offset } = span(block, def);
    encodeRegisterOrAbsent(def, values[def.name]!).forEach((w, i) => (words[offset + i] = w));
  }
  return words;
}

/** A register's words for a value, or for null (not measured) its notAvailable raw value. */
export function encodeRegisterOrAbsent(def: RegisterDef, value: number | null): number[] {
  if (value !== null) return encodeRegisterValue(def, value);
  if (def.notAvailable === undefined) throw new PrepaidError('E_VALUE_RANGE', `${def.name}: no value, and the register has no notAvailable value to say so`, { register: def.name, path: def.name });
  return encodeRegisterValue(rawDef(def), def.notAvailable);
}

/** The register read as its raw integer (no scale, no range). */
const rawDefs = new WeakMap<RegisterDef, RegisterDef>();
function rawDef(def: RegisterDef): RegisterDef {
  let r = rawDefs.get(def);
  if (!r) {
    const { min: _min, max: _max, ...rest } = def;
    r = { ...rest, scale: 1 };
    rawDefs.set(def, r);
  }
  return r;
}
