import type { AccountState, NewEntry, Policy, PolicyEvent, SupplyState } from '../credit/contracts.js';

export interface EmergencyStep {
  emergency: AccountState['emergency'];
  /** Amount taken in this step (0 or the policy amount); already counted as available credit. */
  taken: number;
  entries: NewEntry[];
  events: PolicyEvent[];
}

/**
 * Emergency credit: offered once the balance is below the lowest warning threshold; taken on a
 * request (command, or the button unless the button is needed to reconnect), or automatically
 * when the policy needs no button and credit would otherwise be exhausted (balance <= 0).
 * Taking it books +amount; allocateTopUp repays it. Only one advance at a time.
 */
export function emergencyStep(
  policy: Policy,
  current: AccountState['emergency'],
  supply: SupplyState,
  balance: number,
  now: number,
  buttonPressed: boolean,
  emergencyRequested: boolean,
): EmergencyStep {
  const emergency = { ...current };
  const events: PolicyEvent[] = [];
  const entries: NewEntry[] = [];
  const ec = policy.emergencyCredit;
  if (!ec) {
    if (emergencyRequested) events.push({ type: 'emergency-credit-refused', data: { reason: 'not-in-policy', balance } });
    return { emergency, taken: 0, entries, events };
  }
  const lowest = policy.lowCreditThresholds[policy.lowCreditThresholds.length - 1]!;
  // balance <= 0 too, so a lowest threshold of 0 still lets credit be taken at exhaustion.
  const eligible = !emergency.inUse && (balance < lowest || balance <= 0);
  if (eligible && !emergency.offered) {
    emergency.offered = true;
    events.push({ type: 'emergency-credit-offered', data: { amount: ec.amount, requiresButton: ec.requiresButton, balance } });
  }
  // In ready-for-reconnection the button closes the relay; it does not also take credit.
  const requested = emergencyRequested || (buttonPressed && supply !== 'ready-for-reconnection');
  const automatic = !ec.requiresButton && balance <= 0;
  let taken = 0;
  if (eligible && (requested || automatic)) {
    taken = ec.amount;
    emergency.inUse = true;
    emergency.outstanding = ec.amount;
    const how = requested ? (emergencyRequested ? 'request' : 'button') : 'automatic';
    entries.push({ kind: 'emergency-credit-taken', amount: ec.amount, ts: now, cause: { policy: policy.id, how } });
    events.push({ type: 'emergency-credit-taken', data: { amount: ec.amount, how, balance: balance + ec.amount } });
  } else if (emergencyRequested) {
    events.push({ type: 'emergency-credit-refused', data: { reason: emergency.inUse ? 'in-use' : 'credit-not-low', balance } });
  }
  if (!emergency.inUse && balance > lowest) emergency.offered = false;
  return { emergency, taken, entries, events };
}
