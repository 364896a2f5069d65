/** Register maps as data: the shapes a meter profile normalises to. */

export type RegisterKind = 'coil' | 'discrete' | 'holding' | 'input';
export type ValueType = 'bool' | 'u16' | 'i16' | 'u32' | 'i32' | 'u64' | 'f32' | 'f64' | 'bcd16' | 'bcd32';
export type WordOrder = 'high-first' | 'low-first';
export type Access = 'r' | 'rw' | 'w';

export const REGISTER_KINDS: readonly RegisterKind[] = ['coil', 'discrete', 'holding', 'input'];
export const VALUE_TYPES: readonly ValueType[] = ['bool', 'u16', 'i16', 'u32', 'i32', 'u64', 'f32', 'f64', 'bcd16', 'bcd32'];

export interface RegisterDef {
  /** Canonical measurement name (see MEASUREMENTS) or a profile-specific name like 'relayCommand'. */
  name: string;
  kind: RegisterKind;
  /** 0-based protocol address (0..65535). */
  address: number;
  /** 'bool' only (and always) for coil/discrete. */
  type: ValueType;
  /** Order of the 16-bit words of a multi-word value; bytes inside a word are always big-endian. Default 'high-first'. */
  wordOrder: WordOrder;
  /** Engineering value = raw * scale. Default 1. */
  scale: number;
  /** Unit of the engineering value, '' if none. */
  unit: string;
  /** Default 'r'. Discrete inputs and input registers are always 'r'. */
  access: Access;
  description: string;
  /** Engineering range: decoded values outside are implausible, writes outside are rejected. */
  min?: number;
  max?: number;
  /**
   * 'slow': a setting or identity register that does not change in normal operation; a poller reads
   * it at its first poll and then only every few minutes (see planPollReads). Absent = every poll.
   */
  poll?: 'slow';
  /** Raw value (before scale) meaning "not measured": decodeBlock leaves the register out, encodeBlock writes it for a null. */
  notAvailable?: number;
}

export interface SignatureRead {
  kind: RegisterKind;
  address: number;
  count: number;
}

/** A plausibility range for identification (engineering units); either end may be open. */
export interface ValueRange {
  min?: number;
  max?: number;
}

/**
 * One read a scanner makes to tell this model from others. The meter must answer it normally with
 * every register inside decoding within `expect[name]` (else within the register's min/max, else
 * to a number), or, with `refused`, answer with a Modbus exception: a register this model lacks.
 */
export interface SignatureCheck extends SignatureRead {
  refused: boolean;
  expect: Readonly<Record<string, ValueRange>>;
}

export interface MeterProfile {
  id: string;
  manufacturer: string;
  model: string;
  description: string;
  phases: 1 | 3;
  /** Normalised: defaults filled in, frozen. */
  registers: RegisterDef[];
  /** Reads a scanner makes to identify the model: it is this model only if every check holds. */
  signature: SignatureCheck[];
}

/** Whether a register kind is read one bit at a time (FC 01/02) rather than in 16-bit words (FC 03/04). */
export function isBitKind(kind: RegisterKind): boolean {
  return kind === 'coil' || kind === 'discrete';
}
