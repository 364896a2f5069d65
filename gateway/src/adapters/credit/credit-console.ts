/**
 * The narrow face of credit the web console is given: what it shows (accounts with their unit and
 * any override, the newest audit rows, which relays it may drive) and what it may do (a technician's
 * relay test, a signed command). It never sees the engine's settings or the ledger itself.
 */
import type { CommandOutcome, RelayDriver, SupplyState } from '../../core/credit/contracts.js';
import type { RelayOverride } from '../../core/credit/decision.js';
import type { AuditEntry, Ledger } from '../store/ledger/index.js';
import { latestAudit } from './latest-audit.js';
import type { CreditEngine } from './credit-engine.js';

export interface CreditAccountView {
  meter: string;
  customer: string;
  balance: number;
  creditUnit: 'currency' | 'energy';
  currency?: string;
  subunitsPerUnit: number;
  supply: SupplyState;
  emergency: { offered: boolean; inUse: boolean; outstanding: number };
  disconnectAt: number | null;
  override: RelayOverride | null;
}

export interface TechnicianRelayResult {
  readback: SupplyState | undefined;
  heldUntil?: number;
  heldByRules?: SupplyState;
}

export interface CreditView {
  /** Every account as the ledger has it, with the override holding its relay at `now`. */
  accounts(now: number): Promise<CreditAccountView[]>;
  /** The newest `limit` audit rows. */
  latestAudit(limit: number): Promise<AuditEntry[]>;
  /** The meter has a relay driver. */
  controllable(meter: string): boolean;
}

export interface CreditControl {
  /**
   * A relay test. On a meter with an account the rules would close a tripped relay again at the
   * next reading, so a trip is a maintenance hold until `until` (or the restore); the restore
   * releases the hold and closes the relay only if the rules say the customer is supplied. A meter
   * without an account is driven directly.
   */
  technicianRelay(meter: string, target: 'connected' | 'disconnected', cause: string, until: number): Promise<TechnicianRelayResult>;
  /** A signed command, as if it came over MQTT. */
  handleCommand(payload: Buffer | string): Promise<CommandOutcome>;
}

export type CreditConsole = CreditView & CreditControl;

export interface CreditConsoleDeps {
  engine: CreditEngine;
  ledger: Pick<Ledger, 'accounts' | 'account' | 'auditLog'>;
  relayFor: (meter: string) => RelayDriver | undefined;
  handleCommand: (payload: Buffer | string) => Promise<CommandOutcome>;
}

export function creditConsole({ engine, ledger, relayFor, handleCommand }: CreditConsoleDeps): CreditConsole {
  return {
    accounts: async (now) =>
      (await ledger.accounts()).map((a) => ({
        meter: a.meter,
        customer: a.customer,
        balance: a.balance,
        creditUnit: a.creditUnit,
        ...(a.currency ? { currency: a.currency } : {}),
        subunitsPerUnit: engine.subunitsPerUnit(a.meter),
        supply: a.state.supply,
        emergency: a.state.emergency,
        disconnectAt: a.state.disconnectAt,
        override: engine.settings.override(a.meter, now) ?? null,
      })),
    latestAudit: (limit) => latestAudit(ledger, limit),
    controllable: (meter) => Boolean(relayFor(meter)),
    technicianRelay: async (meter, target, cause, until) => {
      if (!engine.has(meter)) return { readback: await engine.setRelay(meter, target, cause) };
      if (target === 'disconnected') return { readback: await engine.override(meter, { state: 'disconnected', until, by: cause }, cause), heldUntil: until };
      let readback = await engine.override(meter, null, cause);
      if (readback === 'connected') return { readback };
      const supply = (await ledger.account(meter))?.state.supply;
      if (supply !== 'connected') return { readback, ...(supply ? { heldByRules: supply } : {}) };
      readback = await engine.setRelay(meter, 'connected', cause);
      return { readback };
    },
    handleCommand,
  };
}
