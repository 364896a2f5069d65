/**
 * Data identifiers (DI) as data: what each DL/T 645-2007 DI holds, its BCD format, and how to
 * reach the canonical measurement units of registers/measurements.ts. A DI is written
 * DI3 DI2 DI1 DI0 as in the standard ("00010000") and sent DI0 first.
 * Sources: DL/T 645-2007 appendix A (energy A.1, variables A.4, parameters A.5) and the
 * prepayment DIs of State Grid remote-fee-control meters (see shared/reference/prepayment.md).
 */
import { frameError, PrepaidError } from '../errors.js';

export const DLT645_DI_BYTES = 4;

/** How a BCD value reaches its canonical unit: canonical = raw * multiply / divide. */
interface FormatSpec {
  format: string;
  bytes: number;
  decimals: number;
  signed: boolean;
  unit: string;
  canonicalUnit: string;
  multiply: number;
  divide: number;
}

const FORMATS = {
  // 0.01 kWh = 10 Wh, so energy stays an integer of Wh.
  energy: { format: 'XXXXXX.XX', bytes: 4, decimals: 2, signed: false, unit: 'kWh', canonicalUnit: 'Wh', multiply: 10, divide: 1 },
  voltage: { format: 'XXX.X', bytes: 2, decimals: 1, signed: false, unit: 'V', canonicalUnit: 'V', multiply: 1, divide: 10 },
  current: { format: 'XXX.XXX', bytes: 3, decimals: 3, signed: true, unit: 'A', canonicalUnit: 'A', multiply: 1, divide: 1000 },
  // 0.0001 kW = 0.1 W.
  power: { format: 'XX.XXXX', bytes: 3, decimals: 4, signed: true, unit: 'kW', canonicalUnit: 'W', multiply: 1, divide: 10 },
  powerFactor: { format: 'X.XXX', bytes: 2, decimals: 3, signed: true, unit: '', canonicalUnit: '', multiply: 1, divide: 1000 },
  frequency: { format: 'XX.XX', bytes: 2, decimals: 2, signed: false, unit: 'Hz', canonicalUnit: 'Hz', multiply: 1, divide: 100 },
  // Money stays an integer of minor units (0.01 yuan), like creditBalance in the register maps.
  money: { format: 'XXXXXX.XX', bytes: 4, decimals: 2, signed: false, unit: 'yuan', canonicalUnit: 'minor', multiply: 1, divide: 1 },
} as const satisfies Record<string, FormatSpec>;

export type Dlt645ValueKind = keyof typeof FORMATS;

export interface Dlt645DataItem extends FormatSpec {
  /** "00010000": DI3 DI2 DI1 DI0, upper-case hex. */
  di: string;
  /** Stable camelCase name for this DI. */
  key: string;
  /** Canonical measurement name (registers/measurements.ts) where one exists. */
  measurement?: string;
  kind: Dlt645ValueKind;
  description: string;
  /** The canonical value is a whole number (energy in Wh, money in minor units). */
  integer: boolean;
}

function item(di: string, key: string, kind: Dlt645ValueKind, description: string, measurement?: string, over: Partial<FormatSpec> = {}): Dlt645DataItem {
  const f = { ...FORMATS[kind], ...over };
  return Object.freeze({ di, key, kind, description, ...(measurement ? { measurement } : {}), ...f, integer: f.divide === 1 });
}

/** Phase number, letter, and its forward active energy DI (00 15/29/3D 00 00). */
const PHASES = [
  [1, 'A', '00150000'],
  [2, 'B', '00290000'],
  [3, 'C', '003D0000'],
] as const;

export const DLT645_DATA_ITEMS: readonly Dlt645DataItem[] = Object.freeze([
  // Combined active energy: the meter's mode word decides the combination (default import + export);
  // its top bit is a sign bit in the standard's note to table A.1.
  item('00000000', 'combinedActiveEnergy', 'energy', 'combined active energy, total', 'energyTotal', { signed: true }),
  item('00010000', 'forwardActiveEnergy', 'energy', 'forward (import) active energy, total', 'energyImport'),
  item('00020000', 'reverseActiveEnergy', 'energy', 'reverse (export) active energy, total', 'energyExport'),
  ...PHASES.map(([p, n, energyDi]) => item(energyDi, `forwardActiveEnergy${n}`, 'energy', `phase ${n} forward active energy`, `energyImportL${p}`)),
  ...PHASES.map(([p, n]) => item(`02010${p}00`, `voltage${n}`, 'voltage', `phase ${n} voltage`, `voltageL${p}`)),
  ...PHASES.map(([p, n]) => item(`02020${p}00`, `current${n}`, 'current', `phase ${n} current`, `currentL${p}`)),
  item('02030000', 'activePower', 'power', 'total active power', 'power'),
  ...PHASES.map(([p, n]) => item(`02030${p}00`, `activePower${n}`, 'power', `phase ${n} active power`, `powerL${p}`)),
  item('02060000', 'powerFactor', 'powerFactor', 'total power factor', 'powerFactor'),
  ...PHASES.map(([p, n]) => item(`02060${p}00`, `powerFactor${n}`, 'powerFactor', `phase ${n} power factor`, `powerFactorL${p}`)),
  item('02800002', 'frequency', 'frequency', 'grid frequency', 'frequency'),
  // Prepayment (remote fee control) items.
  item('00900100', 'remainingEnergy', 'energy', 'remaining energy credit'),
  item('00900101', 'overdraftEnergy', 'energy', 'energy drawn on overdraft'),
  item('00900200', 'remainingBalance', 'money', 'remaining money balance'),
  item('00900201', 'overdraftBalance', 'money', 'money drawn on overdraft'),
  item('04001001', 'lowBalanceAlarm1', 'money', 'low-balance alarm threshold 1'),
  item('04001002', 'lowBalanceAlarm2', 'money', 'low-balance alarm threshold 2'),
  item('04001003', 'overdraftLimit', 'money', 'overdraft limit'),
  item('04001004', 'hoardingLimit', 'money', 'hoarding (maximum balance) limit'),
  item('04001005', 'reclosingBalance', 'money', 'balance needed before the relay may close again'),
]);

const byDi = new Map(DLT645_DATA_ITEMS.map((d) => [d.di, d]));
const byKey = new Map(DLT645_DATA_ITEMS.map((d) => [d.key, d]));

/** The table entry for a DI ("00010000", any case), if this codec knows it. */
export function findDlt645DataItem(di: string): Dlt645DataItem | undefined {
  return byDi.get(di.toUpperCase());
}

export function findDlt645DataItemByKey(key: string): Dlt645DataItem | undefined {
  return byKey.get(key);
}

/** The DI that carries a canonical measurement (e.g. 'energyImport' -> 00010000), if any. */
export function findDlt645DataItemForMeasurement(measurement: string): Dlt645DataItem | undefined {
  return DLT645_DATA_ITEMS.find((d) => d.measurement === measurement);
}

const DI_RE = /^[0-9A-Fa-f]{8}$/;

export function normalizeDlt645Di(di: string): string {
  if (!DI_RE.test(di)) throw new PrepaidError('E_FRAME_VALUE', `data identifier "${di}" is not 8 hex digits`, { path: 'di' });
  return di.toUpperCase();
}

/** "00010000" to the wire bytes 00 00 01 00 (DI0 first). */
export function dlt645DiToBytes(di: string): Buffer {
  return Buffer.from(normalizeDlt645Di(di), 'hex').reverse();
}

/** Four wire bytes at `offset` to "DI3DI2DI1DI0". */
export function dlt645DiFromBytes(bytes: Uint8Array, offset = 0, base = 0): string {
  if (bytes.length < offset + DLT645_DI_BYTES) throw frameError('E_FRAME_SHORT', `data identifier needs ${DLT645_DI_BYTES} bytes`, base + bytes.length);
  return Buffer.from(bytes.subarray(offset, offset + DLT645_DI_BYTES)).reverse().toString('hex').toUpperCase();
}
