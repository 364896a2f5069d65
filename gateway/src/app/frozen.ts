/** Wire the frozen readings: billing day per meter (its account's tariff, else gateway.billingDay) and the balance. */
import type { GatewayConfig } from '../core/config/gateway-config.js';
import type { Logger } from '../adapters/log.js';
import type { SqliteOutbox } from '../adapters/store/index.js';
import { FrozenKeeper } from '../adapters/frozen/index.js';

export function billingDayOf(config: GatewayConfig): (meter: string) => number {
  const fallback = config.gateway.billingDay ?? 1;
  const days = new Map<string, number>();
  const credit = config.credit;
  for (const a of credit?.accounts ?? []) {
    const versions = credit!.tariffs[credit!.classes[a.customerClass]?.tariff ?? ''] ?? [];
    // The version in force last: billing days rarely change; a change applies from the next month frozen.
    const day = versions.at(-1)?.tariff.billingDay;
    if (day !== undefined) days.set(a.meter, day);
  }
  return (meter) => days.get(meter) ?? fallback;
}

export function frozenKeeper(config: GatewayConfig, deps: { outbox: SqliteOutbox; log: Logger; balance?: (meter: string) => Promise<number | undefined> }): Promise<FrozenKeeper> {
  return FrozenKeeper.open({ outbox: deps.outbox, gatewayId: config.gateway.id, zone: config.gateway.timezone, billingDay: billingDayOf(config), log: deps.log, ...(deps.balance ? { balance: deps.balance } : {}) });
}
