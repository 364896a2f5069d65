/** Per-meter and per-bus communication health: success rate, latency, errors by type, last seen. */

export interface MeterHealth {
  meter: string;
  bus: string;
  state: 'unknown' | 'ok' | 'lost';
  polls: number;
  successes: number;
  failures: number;
  /** Failures by error code (E_MODBUS_TIMEOUT, E_MODBUS_CRC, E_READ_IMPLAUSIBLE, ...). */
  errors: Record<string, number>;
  consecutiveFailures: number;
  lastLatencyMs: number | null;
  avgLatencyMs: number | null;
  /** Epoch ms of the last good reading. */
  lastSeen: number | null;
  lastError: string | null;
  /** Current backoff after failures, ms (0 when healthy). */
  backoffMs: number;
}

export function newMeterHealth(meter: string, bus: string): MeterHealth {
  return { meter, bus, state: 'unknown', polls: 0, successes: 0, failures: 0, errors: {}, consecutiveFailures: 0, lastLatencyMs: null, avgLatencyMs: null, lastSeen: null, lastError: null, backoffMs: 0 };
}

export function recordSuccess(h: MeterHealth, latencyMs: number, at: number): void {
  h.polls++;
  h.successes++;
  h.consecutiveFailures = 0;
  h.lastLatencyMs = Math.round(latencyMs * 10) / 10;
  h.avgLatencyMs = h.avgLatencyMs === null ? h.lastLatencyMs : Math.round((h.avgLatencyMs * 0.9 + latencyMs * 0.1) * 10) / 10;
  h.lastSeen = at;
  h.backoffMs = 0;
}

export function recordFailure(h: MeterHealth, code: string, message: string): void {
  h.polls++;
  h.failures++;
  h.consecutiveFailures++;
  h.lastError = `${code}: ${message}`;
}

/** Every failed transaction counts by type, including those a retry then hid. */
export function recordError(h: MeterHealth, code: string): void {
  h.errors[code] = (h.errors[code] ?? 0) + 1;
}

export interface BusHealth {
  bus: string;
  transactions: number;
  queueDepth: number;
  successRate: number | null;
  errors: Record<string, number>;
  metersOk: number;
  metersLost: number;
}

export function busHealth(bus: string, meters: readonly MeterHealth[], transactions: number, queueDepth: number): BusHealth {
  const polls = meters.reduce((a, m) => a + m.polls, 0);
  const ok = meters.reduce((a, m) => a + m.successes, 0);
  const errors: Record<string, number> = {};
  for (const m of meters) for (const [k, v] of Object.entries(m.errors)) errors[k] = (errors[k] ?? 0) + v;
  return {
    bus,
    transactions,
    queueDepth,
    successRate: polls ? Math.round((ok / polls) * 10000) / 10000 : null,
    errors,
    metersOk: meters.filter((m) => m.state === 'ok').length,
    metersLost: meters.filter((m) => m.state === 'lost').length,
  };
}
