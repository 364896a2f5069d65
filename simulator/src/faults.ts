/**
 * Faults a simulated meter can show. Reply faults are decided per request; state faults change
 * the meter itself. Each is active inside an optional window [from, until) of simulated ms since
 * the simulation start, and reply faults fire with probability `rate` (default 1).
 */
import type { Rng } from './physics/random.js';

export const REPLY_FAULTS = ['noReply', 'lateReply', 'badCrc', 'wrongUnit', 'exception'] as const;
export const STATE_FAULTS = ['powerLoss', 'counterReset', 'clockDrift', 'coverOpen', 'bypass', 'slowMeter', 'tap', 'phaseLoss', 'voltageSag'] as const;
export type ReplyFaultType = (typeof REPLY_FAULTS)[number];
export type StateFaultType = (typeof STATE_FAULTS)[number];
export type FaultType = ReplyFaultType | StateFaultType;

export interface FaultSpec {
  type: FaultType;
  /** Probability per request for reply faults, 0..1 (default 1). */
  rate?: number;
  /** Window start/end, simulated ms after the simulation started. */
  from?: number;
  until?: number;
  /** lateReply: extra delay in real ms (default 500). */
  delayMs?: number;
  /** exception: Modbus exception code to answer (default 4, slave device failure). */
  exceptionCode?: number;
  /** clockDrift: parts per million the meter clock runs fast (+) or slow (-). */
  driftPpm?: number;
  /** counterReset: the register value after the reset (default 0). */
  toWh?: number;
  /** slowMeter: the share of the energy the meter registers (default 0.8: 20% low). */
  factor?: number;
  /** tap: the share of the load drawn around the meter, unmetered; a feeder upstream still sees it (default 1). */
  fraction?: number;
  /** phaseLoss: the phase without supply, 1..3 (default 3; three-phase meters). */
  phase?: number;
  /** voltageSag: supply voltage in % of nominal (default 80; above 100 is a swell). */
  voltagePct?: number;
}

export interface ReplyFaultDecision {
  drop: boolean;
  extraDelayMs: number;
  corruptCrc: boolean;
  wrongUnit: boolean;
  exception?: number;
}

export const NO_FAULT: ReplyFaultDecision = Object.freeze({ drop: false, extraDelayMs: 0, corruptCrc: false, wrongUnit: false });

export function isActive(f: FaultSpec, sinceStartMs: number): boolean {
  return (f.from === undefined || sinceStartMs >= f.from) && (f.until === undefined || sinceStartMs < f.until);
}

/** Decide what happens to one reply. Consumes one random draw per active reply fault (deterministic). */
export function decideReplyFaults(faults: readonly FaultSpec[], sinceStartMs: number, rng: Rng): ReplyFaultDecision {
  if (faults.length === 0) return NO_FAULT;
  let d: ReplyFaultDecision | undefined;
  for (const f of faults) {
    if (!(REPLY_FAULTS as readonly string[]).includes(f.type) || !isActive(f, sinceStartMs)) continue;
    if (rng() >= (f.rate ?? 1)) continue;
    d ??= { ...NO_FAULT };
    switch (f.type) {
      case 'noReply':
        d.drop = true;
        break;
      case 'lateReply':
        d.extraDelayMs += f.delayMs ?? 500;
        break;
      case 'badCrc':
        d.corruptCrc = true;
        break;
      case 'wrongUnit':
        d.wrongUnit = true;
        break;
      case 'exception':
        d.exception = f.exceptionCode ?? 4;
        break;
    }
  }
  return d ?? NO_FAULT;
}
