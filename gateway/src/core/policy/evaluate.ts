/**
 * The customer-protection state machine (DLMS IC 70 supply states connected / disconnected /
 * ready-for-reconnection). Pure: the caller passes the balance, the clock and the inputs, books
 * the returned entries and state in one transaction, carries out the actions, and evaluates again
 * at `wakeAt` or on the next posting. Rules: README.md in this folder.
 */
import type { AccountState, PolicyAction, PolicyEvent } from '../credit/contracts.js';
import { emergencyStep } from './emergency.js';
import { friendlyPeriodEnd, inFriendlyPeriod } from './friendly.js';
import type { EvaluateInput, PolicyDecisionWithEntries } from './types.js';
import { lowCreditWarnings } from './warnings.js';

interface Step {
  input: EvaluateInput;
  s: AccountState;
  /** Available credit: the balance plus emergency credit taken in this evaluation. */
  credit: number;
  actions: PolicyAction[];
  events: PolicyEvent[];
}

export function evaluate(input: EvaluateInput): PolicyDecisionWithEntries {
  const { policy, state, balance, now } = input;
  const s: AccountState = { ...state, emergency: { ...state.emergency } };
  const em = emergencyStep(policy, s.emergency, s.supply, balance, now, input.buttonPressed === true, input.emergencyRequested === true);
  s.emergency = em.emergency;
  const credit = balance + em.taken;
  const warn = lowCreditWarnings(policy.lowCreditThresholds, s.warned, credit);
  s.warned = warn.warned;
  const step: Step = { input, s, credit, actions: [], events: [...em.events, ...warn.events] };
  let wakeAt: number | null = null;
  if (s.supply === 'disconnected') disconnected(step);
  else if (s.supply === 'ready-for-reconnection') readyForReconnection(step);
  if (s.supply === 'connected') wakeAt = connected(step);
  return { state: s, actions: step.actions, events: step.events, entries: em.entries, wakeAt };
}

/** Connected: enforce exhausted credit, except inside a friendly period (while debt <= maxDebt). */
function connected({ input, s, credit, actions, events }: Step): number | null {
  const { policy, zone, now } = input;
  if (credit > 0) {
    if (s.disconnectAt !== null) events.push({ type: 'disconnect-cancelled', data: { reason: 'credit-restored', balance: credit } });
    s.disconnectAt = null;
    s.friendlyZero = false;
    return null;
  }
  const debt = -credit;
  const overMaxDebt = policy.maxDebt > 0 && debt > policy.maxDebt;
  const inFriendly = inFriendlyPeriod(policy, zone, now);
  if (inFriendly && !overMaxDebt) {
    const until = friendlyPeriodEnd(policy, zone, now);
    // A notice given before the period started lapses; a fresh one is given when it ends.
    if (s.disconnectAt !== null) events.push({ type: 'disconnect-cancelled', data: { reason: 'friendly-period', balance: credit } });
    s.disconnectAt = null;
    if (!s.friendlyZero) events.push({ type: 'friendly-period-zero-credit', data: { balance: credit, until } });
    s.friendlyZero = true;
    return until;
  }
  const reason = inFriendly ? 'max-debt' : s.friendlyZero ? 'friendly-period-ended' : 'credit-exhausted';
  s.friendlyZero = false;
  if (s.disconnectAt === null) {
    s.disconnectAt = now + policy.disconnectNoticeMs;
    events.push({ type: 'disconnect-scheduled', data: { at: s.disconnectAt, reason, balance: credit, ...(overMaxDebt ? { debt, maxDebt: policy.maxDebt } : {}) } });
  }
  if (now < s.disconnectAt) return s.disconnectAt;
  actions.push({ type: 'trip', cause: overMaxDebt ? 'max-debt' : 'credit-exhausted' });
  s.supply = 'disconnected';
  s.disconnectAt = null;
  return null;
}

/** Disconnected for credit: reconnect once credit > 0 and >= reconnect.threshold. */
function disconnected({ input, s, credit, actions, events }: Step): void {
  const { reconnect } = input.policy;
  s.disconnectAt = null;
  s.friendlyZero = false;
  if (credit <= 0 || credit < reconnect.threshold) return;
  if (reconnect.mode === 'auto') {
    actions.push({ type: 'close', cause: 'credit-restored' });
    s.supply = 'connected';
    events.push({ type: 'reconnected', data: { by: 'auto', balance: credit } });
  } else {
    actions.push({ type: 'arm', cause: 'credit-restored' });
    s.supply = 'ready-for-reconnection';
    events.push({ type: 'ready-for-reconnection', data: { balance: credit } });
  }
}

/**
 * Armed: the customer closes the relay. A meter with its own button closes by itself (seen in the
 * readback: no action); a button reported to the gateway makes it close the relay.
 */
function readyForReconnection({ input, s, credit, actions, events }: Step): void {
  if (input.relay === 'connected') {
    s.supply = 'connected';
    events.push({ type: 'reconnected', data: { by: 'readback', balance: credit } });
  } else if (input.buttonPressed) {
    actions.push({ type: 'close', cause: 'button' });
    s.supply = 'connected';
    events.push({ type: 'reconnected', data: { by: 'button', balance: credit } });
  }
}
