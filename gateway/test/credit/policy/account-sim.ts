/** A caller of the policy as the gateway will be: books entries, keeps state, follows wakeAt. */
import type { AccountState, Policy, SupplyState } from '../../../src/core/credit/contracts.js';
import { allocateTopUp, evaluate, initialAccountState, type PolicyDecisionWithEntries } from '../../../src/core/policy/index.js';

export interface Extra {
  relay?: SupplyState;
  buttonPressed?: boolean;
  emergencyRequested?: boolean;
}

export class AccountSim {
  state: AccountState = initialAccountState();
  decisions: Array<PolicyDecisionWithEntries & { now: number; balanceAfter: number }> = [];
  constructor(
    public policy: Policy,
    public balance: number,
    public now: number,
    public zone = 'Europe/Dublin',
  ) {}

  evaluate(extra: Extra = {}): PolicyDecisionWithEntries {
    const d = evaluate({ policy: this.policy, zone: this.zone, state: this.state, balance: this.balance, now: this.now, ...extra });
    for (const e of d.entries) this.balance += e.amount;
    this.state = d.state;
    this.decisions.push({ ...d, now: this.now, balanceAfter: this.balance });
    return d;
  }

  charge(amount: number): PolicyDecisionWithEntries {
    this.balance -= amount;
    return this.evaluate();
  }

  topUp(amount: number): PolicyDecisionWithEntries {
    const a = allocateTopUp(this.state, this.balance, amount, this.now, { test: true });
    this.state = a.state;
    this.balance = a.balance;
    return this.evaluate();
  }

  /** Move the clock to `to`, evaluating at every wakeAt on the way (as the runtime's timer would). */
  advance(to: number): void {
    for (;;) {
      const last = this.decisions.at(-1);
      const wake = last?.wakeAt ?? null;
      if (wake === null || wake > to || wake <= this.now) break;
      this.now = wake;
      this.evaluate();
    }
    this.now = to;
  }

  /** Every action since decision index `from`. */
  actionsSince(from = 0): Array<{ now: number; type: string }> {
    return this.decisions.slice(from).flatMap((d) => d.actions.map((a) => ({ now: d.now, type: a.type })));
  }
}

export const at = (iso: string): number => {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`bad instant ${iso}`);
  return ms;
};

export const HOUR = 3_600_000;
export const MINUTE = 60_000;
export const DAY = 86_400_000;
