import type { AccountState, NewEntry, Policy, PolicyDecision, SupplyState } from '../credit/contracts.js';

export interface EvaluateInput {
  policy: Policy;
  /** IANA zone the friendly windows are read in (the gateway's timezone). */
  zone: string;
  /** Policy state as persisted with the last posting. */
  state: AccountState;
  /** Ledger balance in sub-units (includes emergency credit taken and friendly-period consumption). */
  balance: number;
  /** Epoch ms UTC. */
  now: number;
  /** Relay readback, when the caller has one. */
  relay?: SupplyState;
  /** The customer pressed the meter's button since the last evaluation. */
  buttonPressed?: boolean;
  /** Emergency credit requested by command (app, SMS, back office). */
  emergencyRequested?: boolean;
}

/** PolicyDecision plus the ledger entries the caller books in the same transaction as `state`. */
export interface PolicyDecisionWithEntries extends PolicyDecision {
  entries: NewEntry[];
}

/** Every PolicyEvent.type the policy emits. */
export type PolicyEventType =
  | 'low-credit'
  | 'emergency-credit-offered'
  | 'emergency-credit-taken'
  | 'emergency-credit-refused'
  | 'friendly-period-zero-credit'
  | 'disconnect-scheduled'
  | 'disconnect-cancelled'
  | 'ready-for-reconnection'
  | 'reconnected';

/** The state of a new account: connected, nothing announced, no emergency credit. */
export function initialAccountState(): AccountState {
  return { supply: 'connected', warned: -1, emergency: { offered: false, inUse: false, outstanding: 0 }, disconnectAt: null, friendlyZero: false };
}
