/** Technician actions go to the ledger's audit log, when the gateway's database exists already. */
import { existsSync } from 'node:fs';
import { systemClock, type Clock } from '@prepaid-edge/protocols';
import type { GatewayConfig } from '../../core/config/gateway-config.js';

/** True when recorded; false when there is no database yet (never create one from here: the outbox must). */
export async function auditTechnician(cfg: GatewayConfig, meter: string, action: string, detail: Record<string, unknown>, clock: Pick<Clock, 'now'> = systemClock): Promise<boolean> {
  if (!existsSync(cfg.storage.path)) return false;
  const { openLedger } = await import('../../adapters/store/ledger/index.js');
  const ledger = await openLedger(cfg.storage.path, { clock });
  try {
    await ledger.audit({ ts: clock.now(), meter, action, cause: 'technician', detail });
    return true;
  } finally {
    await ledger.close();
  }
}
