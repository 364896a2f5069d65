/** Pure planning for a scan: which line settings, how many probes, how long each may wait, the ETA. */
import { bitsPerChar } from '@prepaid-edge/protocols';
import type { Parity } from '../../core/config/gateway-config.js';
import type { LineSettings, ScanOptions } from './types.js';

export const DEFAULT_BAUDS: readonly number[] = [1200, 2400, 4800, 9600, 19200, 38400];
/** Even first: the Modbus serial line spec makes even parity the default. */
export const DEFAULT_PARITIES: readonly Parity[] = ['even', 'none', 'odd'];
export const DEFAULT_TURNAROUND_MS = 50;
export const ALL_UNITS: readonly number[] = Array.from({ length: 247 }, (_, i) => i + 1);

export interface ScanPlan {
  lines: LineSettings[];
  units: readonly number[];
  modbus: boolean;
  dlt645: boolean;
  /** Probes per line: one per unit, plus the DL/T 645 wildcard read (its search adds probes as it narrows). */
  probesPerLine: number;
  total: number;
}

export function planScan(o: ScanOptions): ScanPlan {
  const bauds = o.bauds ?? DEFAULT_BAUDS;
  const parities = o.parities ?? DEFAULT_PARITIES;
  const units = o.units ?? ALL_UNITS;
  const protocol = o.protocol ?? 'both';
  for (const u of units) if (!Number.isInteger(u) || u < 1 || u > 247) throw new RangeError(`unit ${u} is not in 1..247`);
  for (const b of bauds) if (!Number.isInteger(b) || b <= 0) throw new RangeError(`baud rate ${b} is not a positive integer`);
  const lines = bauds.flatMap((baudRate) => parities.map((parity) => ({ baudRate, parity })));
  const modbus = protocol !== 'dlt645';
  const dlt645 = protocol !== 'modbus';
  const probesPerLine = (modbus ? units.length : 0) + (dlt645 ? 1 : 0);
  return { lines, units, modbus, dlt645, probesPerLine, total: lines.length * probesPerLine };
}

/** Stop bits at a line setting: as given, else 2 without parity and 1 with (Modbus serial line spec: 11 bits a character). */
export function lineStopBits(o: Pick<ScanOptions, 'stopBits'>, line: LineSettings): 1 | 2 {
  return o.stopBits ?? (line.parity === 'none' ? 2 : 1);
}

/** Wire time of `bytes` characters at a line setting (ms). */
export function wireMs(bytes: number, line: LineSettings, stopBits: 1 | 2 = 1): number {
  return (bytes * bitsPerChar(line.parity, stopBits) * 1000) / line.baudRate;
}

/** How long to wait for a reply of up to `replyBytes` to a `requestBytes` request. */
export function probeTimeoutMs(o: Pick<ScanOptions, 'timeoutMs' | 'turnaroundMs' | 'stopBits'>, line: LineSettings, requestBytes: number, replyBytes: number): number {
  if (o.timeoutMs !== undefined) return o.timeoutMs;
  return Math.ceil(wireMs(requestBytes + replyBytes, line, o.stopBits) + (o.turnaroundMs ?? DEFAULT_TURNAROUND_MS));
}

/**
 * ms left: the remaining probes at the average pace so far, or at `firstGuessMs` each before any
 * probe is done (most addresses are absent, so a probe mostly costs its timeout).
 */
export function etaMs(done: number, total: number, elapsedMs: number, firstGuessMs: number): number {
  const left = Math.max(0, total - done);
  const each = done > 0 ? elapsedMs / done : firstGuessMs;
  return Math.round(left * each);
}
