/**
 * Push the gateway's view of an account to a `prepaid` meter: displayed credit, warning levels,
 * emergency credit and the backup disconnect threshold (holding 0-11, one FC 16 request, so the
 * meter applies them together), and creditDecimals (holding 14). The clock (12-13) is not
 * touched. Verified by reading holding 0-16 back; retried with backoff like the relay commands.
 */
import type { Settings } from '@prepaid-edge/firmware';
import { decodeBlock, encodeBlock, planReads, PrepaidError, type ReadBlock } from '@prepaid-edge/protocols';
import type { BusQueue } from '../acquisition/bus-queue.js';
import type { ModbusMaster } from '../acquisition/modbus-transport.js';
import { prepaidRegister } from './prepaid-registers.js';
import { backoffDelays, isRefusal, sleeperOf, type RetryOptions } from './verified-set.js';

/**
 * The meter's credit settings as the firmware keeps them (creditBalance in the meter's minor units,
 * creditDecimals places; backupDisconnectThreshold in Wh, 0 = disabled, see backupThresholdWh);
 * reconnectMode is the meter's own and not pushed.
 */
export type PrepaidCreditValues = Omit<Settings, 'reconnectMode'>;

const NAMES = ['creditBalance', 'lowCreditThreshold1', 'lowCreditThreshold2', 'emergencyCreditLimit', 'backupDisconnectThreshold', 'creditDecimals'] as const;

function oneBlock(names: readonly string[]): ReadBlock {
  const blocks = planReads(names.map(prepaidRegister), { maxGap: 0 });
  if (blocks.length !== 1) throw new PrepaidError('E_PROFILE_INVALID', `prepaid registers ${names.join(', ')} are not contiguous`, { path: names.join(',') });
  return blocks[0]!;
}

/** holding 0-11: balance, both thresholds, emergency limit, backup threshold. */
const CREDIT_BLOCK = oneBlock(NAMES.slice(0, 5));
const DECIMALS_BLOCK = oneBlock(['creditDecimals']);
/** holding 0-16, the whole holding map in one read. */
const HOLDING_BLOCK = oneBlock(['creditBalance', 'lowCreditThreshold1', 'lowCreditThreshold2', 'emergencyCreditLimit', 'backupDisconnectThreshold', 'clock', 'creditDecimals', 'reconnectMode', 'eventLogIndex']);

export interface SyncOptions extends RetryOptions {
  /** Meter id for error context. */
  meter?: string;
}

/** What the meter holds after the sync (holding 0-16 decoded). */
export type PrepaidHolding = Record<string, number>;

export async function syncPrepaidMeter(
  master: ModbusMaster,
  queue: BusQueue,
  unit: number,
  values: PrepaidCreditValues,
  opts: SyncOptions = {},
): Promise<PrepaidHolding> {
  const ctx = { meter: opts.meter ?? null, unit };
  for (const n of NAMES) {
    if (!Number.isSafeInteger(values[n])) throw new PrepaidError('E_VALUE_RANGE', `${n}: ${values[n]} is not a whole number`, { ...ctx, path: n, value: values[n] });
  }
  // Encode before touching the bus: a value out of the register's range is E_VALUE_RANGE naming it.
  const creditWords = encodeBlock(CREDIT_BLOCK, values as unknown as Record<string, number>);
  const decimalWords = encodeBlock(DECIMALS_BLOCK, values as unknown as Record<string, number>);
  const sleep = sleeperOf(opts);
  const delays = backoffDelays(opts);
  let got: PrepaidHolding | undefined;
  let lastError: unknown;
  for (let attempt = 1; attempt <= delays.length + 1; attempt++) {
    if (attempt > 1) await sleep(delays[attempt - 2]!);
    try {
      await queue.run(() => master.writeRegisters(unit, DECIMALS_BLOCK.address, decimalWords), 'high');
      await queue.run(() => master.writeRegisters(unit, CREDIT_BLOCK.address, creditWords), 'high');
      const words = await queue.run(() => master.read(unit, 'holding', HOLDING_BLOCK.address, HOLDING_BLOCK.count), 'high');
      got = decodeBlock(HOLDING_BLOCK, words);
      lastError = undefined;
    } catch (e) {
      if (isRefusal(e)) throw e;
      got = undefined;
      lastError = e;
      continue;
    }
    const wrong = NAMES.find((n) => got![n] !== values[n]);
    if (!wrong) return got;
  }
  const wrong = got ? NAMES.find((n) => got![n] !== values[n]) : undefined;
  throw new PrepaidError(
    'E_RELAY_MISMATCH',
    got ? `unit ${unit}: ${wrong} reads back ${got[wrong!]}, wrote ${values[wrong!]}` : `unit ${unit}: credit settings could not be written and verified`,
    { ...ctx, ...(wrong ? { path: wrong } : {}), register: wrong ?? null, wanted: wrong ? values[wrong] : null, got: wrong ? got![wrong] : null, attempts: delays.length + 1, ...(lastError instanceof PrepaidError ? { error: lastError.code } : {}) },
    lastError ? { cause: lastError } : undefined,
  );
}
