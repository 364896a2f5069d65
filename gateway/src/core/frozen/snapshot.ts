/** What a frozen reading holds, built from the reading that froze it. Pure. */
import type { FrozenKind, FrozenPeriod } from './due.js';
import { LATE_AFTER_MS } from './due.js';

export interface FrozenReading {
  meter: string;
  kind: FrozenKind;
  period: string;
  /** The boundary instant the snapshot stands for. */
  at: number;
  /** When the registers were read (the first reading at or after `at`). */
  readingTs: number;
  /** readingTs - at > LATE_AFTER_MS: the gateway was down or the meter silent over the boundary. */
  late: boolean;
  /** Energy registers (Wh): energyImport, energyExport, per-phase and per-band ones the profile has. */
  registers: Record<string, number>;
  /** The account balance (sub-units) booked when frozen, if the meter has an account. */
  balance?: number;
}

/** Energy registers of a reading: every value whose name starts with `energy` (whole Wh). */
export function energyRegisters(values: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(values).sort()) if (k.startsWith('energy') && Number.isFinite(values[k])) out[k] = values[k]!;
  return out;
}

export function frozenReading(meter: string, p: FrozenPeriod, reading: { ts: number; values: Record<string, number> }, balance?: number): FrozenReading {
  return {
    meter,
    kind: p.kind,
    period: p.period,
    at: p.at,
    readingTs: reading.ts,
    late: reading.ts - p.at > LATE_AFTER_MS,
    registers: energyRegisters(reading.values),
    ...(balance === undefined ? {} : { balance }),
  };
}

/** The de-duplication id of a frozen reading: the same on every resend, across restarts. */
export function frozenId(gateway: string, f: Pick<FrozenReading, 'meter' | 'kind' | 'period'>): string {
  return `${gateway}/${f.meter}/${f.kind}/${f.period}`;
}
