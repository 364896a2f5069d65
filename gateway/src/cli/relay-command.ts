/** `prepaid-gateway relay open|close|status --meter ID`: directly on the bus, verified by readback, audited. */
import { PrepaidError } from '@prepaid-edge/protocols';
import { loadConfig } from '../config/load-config.js';
import type { SupplyState } from '../credit/contracts.js';
import { auditTechnician } from './audit.js';
import { confirm } from './confirm.js';
import { DirectBuses } from './direct-bus.js';
import { guarded } from './fail.js';

const TARGET: Readonly<Record<string, SupplyState>> = { open: 'disconnected', close: 'connected' };

export function relayCommand(action: string, o: { config: string; meter: string; yes?: boolean }): Promise<void> {
  return guarded(async () => {
    if (action !== 'status' && !(action in TARGET)) throw new PrepaidError('E_CONFIG_INVALID', `relay: action "${action}" is not open, close or status`, { path: 'action' });
    const cfg = loadConfig(o.config);
    const buses = new DirectBuses(cfg);
    try {
      const relay = buses.relay(o.meter);
      if (action === 'status') {
        const s = await relay.read();
        process.stdout.write(`${o.meter}: ${s.state}\n`);
        return;
      }
      const target = TARGET[action]!;
      const verb = action === 'open' ? 'OPEN the relay (cut the supply) of' : 'CLOSE the relay (restore the supply) of';
      if (!o.yes && !(await confirm(`${verb} meter ${o.meter}?`))) {
        process.stderr.write('cancelled\n');
        process.exitCode = 1;
        return;
      }
      let readback: SupplyState | undefined;
      let error: unknown;
      try {
        readback = (await relay.set(target, 'technician')).state;
      } catch (e) {
        error = e;
      }
      const recorded = await auditTechnician(cfg, o.meter, `relay-${action}`, { target, readback: readback ?? null, ...(error ? { error: (error as { code?: string }).code ?? (error as Error).message } : {}) }).catch((e) => {
        process.stderr.write(`warning: audit not recorded: ${(e as Error).message}\n`);
        return true;
      });
      if (!recorded) process.stderr.write(`note: no database at ${cfg.storage.path} yet: audit not recorded\n`);
      if (error) throw error;
      process.stdout.write(`${o.meter}: ${readback} (verified by readback)\n`);
    } finally {
      await buses.close();
    }
  });
}
