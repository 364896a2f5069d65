/**
 * What the gateway shows the console: its status (GET /api/status, /metrics) and a hook on each
 * reading and event. Defined here, below the runtime, so the console never imports the runtime.
 */
import type { BusHealth, MeterHealth } from '../acquisition/health.js';
import type { NewEvent, NewReading, OutboxStats } from '../../core/model.js';
import type { UplinkState } from '../uplink/index.js';
import type { LedgerFeedState } from '../ledger-stream/index.js';

export interface GatewayStatus {
  gateway: string;
  version: string;
  startedAt: number;
  uptimeMs: number;
  clock: { now: number; iso: string };
  buses: BusHealth[];
  meters: Array<MeterHealth & { latest: NewReading | null }>;
  outbox: OutboxStats;
  uplink: UplinkState;
  /** The active configuration (remote configuration): version and hash, and a new one on trial. */
  config?: { version: number; hash: string; trial?: { version: number; hash: string; untilMs: number } };
  /** Prepaid accounts (when credit is configured): balance in sub-units and supply state. */
  credit?: Array<{ meter: string; customer: string; balance: number; creditUnit: string; currency?: string; supply: string; emergencyInUse: boolean }>;
  /** The last ledger replay check (run at start and daily, not per scrape): ok, when (ms), mismatches found. */
  ledgerVerify?: { ok: boolean; at: number; mismatches: number };
  /** The last look at each meter clock (meterClocks:): drift ms (meter - gateway) ± uncertainty, whether it was set, or the error. */
  meterClocks?: Array<{ meter?: string; bus: string; kind: string; at: number; set: boolean; driftMs?: number; uncertaintyMs?: number; error?: string }>;
  /** The ledger stream (credit): every seq up to delivered.seq has the broker's PUBACK (docs/mqtt.md#ledger). */
  ledgerStream?: LedgerFeedState;
}

/** Sees each reading (with its meter's health) and each event of the gateway. */
export interface GatewayObserver {
  reading?(r: NewReading, health: MeterHealth | undefined): void;
  event?(e: NewEvent): void;
}
