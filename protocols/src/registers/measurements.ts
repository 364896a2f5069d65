/**
 * Canonical measurement names. A profile register with one of these names must deliver
 * the value in the unit given here, so gateway and simulator code never converts units.
 * min/max are plausibility bounds: a reading outside is garbage (bus noise, a misread float),
 * not a measurement. They are deliberately wide (CT-connected meters reach thousands of amps).
 */
export interface Measurement {
  name: string;
  unit: string;
  description: string;
  min: number;
  max: number;
  /** The value is a whole number of its unit (energy in Wh): round float readings before ledgers see them. */
  integer: boolean;
}

const MAX_ENERGY_WH = 1e15; // 1 PWh: far above any meter register, far below 2^53

function m(name: string, unit: string, description: string, min: number, max: number, integer = false): Measurement {
  return Object.freeze({ name, unit, description, min, max, integer });
}

const list: Measurement[] = [
  ...([1, 2, 3] as const).flatMap((p) => [
    m(`voltageL${p}`, 'V', `phase ${p} line-to-neutral voltage (RMS)`, 0, 1000),
    m(`currentL${p}`, 'A', `phase ${p} current (RMS)`, -10_000, 10_000),
    m(`powerL${p}`, 'W', `phase ${p} active power, positive = import`, -1e8, 1e8),
    m(`powerFactorL${p}`, '', `phase ${p} power factor`, -1, 1),
    m(`energyImportL${p}`, 'Wh', `phase ${p} imported active energy`, 0, MAX_ENERGY_WH, true),
  ]),
  m('power', 'W', 'total active power, positive = import', -3e8, 3e8),
  m('powerFactor', '', 'total power factor', -1, 1),
  m('frequency', 'Hz', 'grid frequency', 40, 70),
  m('energyImport', 'Wh', 'total imported active energy (register reading)', 0, MAX_ENERGY_WH, true),
  m('energyExport', 'Wh', 'total exported active energy (register reading)', 0, MAX_ENERGY_WH, true),
  m('energyTotal', 'Wh', 'total active energy, import + export', 0, MAX_ENERGY_WH, true),
];

// Plain code-unit order, not localeCompare: the names are ASCII, and the first localeCompare in a
// process maps ~3 MB of ICU collation data into memory (footprint bench).
export const MEASUREMENTS: Readonly<Record<string, Measurement>> = Object.freeze(
  Object.fromEntries(list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((x) => [x.name, x])),
);

/** The canonical measurement a register name stands for, if any (own keys only: 'constructor' is not one). */
export function measurementFor(name: string): Measurement | undefined {
  return Object.hasOwn(MEASUREMENTS, name) ? MEASUREMENTS[name] : undefined;
}
