/** Maps a physics snapshot onto canonical measurement names (see protocols MEASUREMENTS). */
import type { PhysicsSnapshot } from '../physics/meter-physics.js';

export function canonicalValue(s: PhysicsSnapshot, name: string): number | undefined {
  switch (name) {
    case 'power':
      return s.power;
    case 'powerFactor':
      return s.powerFactor;
    case 'frequency':
      return s.frequency;
    case 'energyImport':
      return s.energyImportWh;
    case 'energyExport':
      return s.energyExportWh;
    case 'energyTotal':
      return s.energyImportWh + s.energyExportWh;
  }
  const m = /^(voltage|current|power|powerFactor|energyImport)L([123])$/.exec(name);
  if (!m) return undefined;
  const i = Number(m[2]) - 1;
  switch (m[1]) {
    case 'voltage':
      return s.voltage[i];
    case 'current':
      return s.current[i];
    case 'power':
      return s.powerPhase[i];
    case 'powerFactor':
      return i < s.voltage.length ? s.powerFactor : undefined;
    case 'energyImport':
      return s.energyImportPhaseWh[i];
  }
  return undefined;
}

/** Every canonical value of a snapshot, for control APIs and tables. */
export function canonicalValues(s: PhysicsSnapshot): Record<string, number> {
  const out: Record<string, number> = {
    power: s.power,
    powerFactor: s.powerFactor,
    frequency: s.frequency,
    energyImport: s.energyImportWh,
    energyExport: s.energyExportWh,
  };
  s.voltage.forEach((v, i) => (out[`voltageL${i + 1}`] = v));
  s.current.forEach((v, i) => (out[`currentL${i + 1}`] = v));
  if (s.powerPhase.length > 1) s.powerPhase.forEach((v, i) => (out[`powerL${i + 1}`] = v));
  return out;
}
