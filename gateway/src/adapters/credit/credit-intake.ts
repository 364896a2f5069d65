/**
 * Credit from outside: top-ups (booked exactly once by id, repaying emergency credit first),
 * tokens (STS credit and non-money tokens, OpenPAYGO time credit, kWh typed on a meter's keypad),
 * emergency credit requests and the meter's button. Each is one decision, carried out once.
 */
import type { CommandOutcome } from '../../core/credit/contracts.js';
import type { TopUpCause } from '../../core/credit/decision.js';
import type { Posting } from '../store/ledger/index.js';
import { applyTimeEffect } from '../tokens/index.js';
import type { OpenPaygoEffect } from '../tokens/openpaygo-acceptor.js';
import type { CreditDesk } from './credit-desk.js';
import type { CreditSettings } from './credit-settings.js';

export class CreditIntake {
  constructor(
    private readonly desk: CreditDesk,
    private readonly settings: CreditSettings,
  ) {}

  async topUp(meter: string, amount: number, cause: TopUpCause, tokenMemory?: Posting['tokenMemory']): Promise<CommandOutcome> {
    return (await this.desk.run(meter, { kind: 'topup', amount, cause, ...(tokenMemory ? { tokenMemory } : {}) })).outcome!;
  }

  /**
   * A token typed on the meter's keypad, seen as `wh` added to the meter's backup threshold. An
   * energy-credit account books it as a top-up (once: `id` is derived from the meter's event
   * counter). A currency account cannot price a kWh token, so it is raised as an event for the
   * back office and the meter keeps enforcing it through its threshold.
   */
  async keypadToken(meter: string, wh: number, id: string): Promise<CommandOutcome> {
    return (await this.desk.run(meter, { kind: 'keypad-token', wh, id })).outcome!;
  }

  /** A token that is not money: clear-credit, clear-tamper, test, or OpenPAYGO time credit. */
  async recordToken(meter: string, id: string, outcome: CommandOutcome, tokenMemory: NonNullable<Posting['tokenMemory']>, effect: string, timeEffect?: OpenPaygoEffect): Promise<CommandOutcome> {
    const carried = await this.desk.run(meter, (now) => {
      const before = this.settings.timeCredit.get(meter) ?? { paidUntil: null, unlocked: false };
      const timeCredit = timeEffect ? { value: applyTimeEffect(before, timeEffect, now), detail: { effect: timeEffect.kind } } : undefined;
      return { kind: 'token', id, outcome, tokenMemory, effect, ...(timeCredit ? { timeCredit } : {}) };
    });
    return carried.outcome!;
  }

  /** The customer asked for emergency credit (button, keypad or command). */
  /** A points-redeem command: the points become credit in one posting, or the command is refused (E_COMMAND_POINTS). */
  async redeemPoints(meter: string, points: number, id: string, source: string): Promise<CommandOutcome> {
    return (await this.desk.run(meter, { kind: 'points-redeem', id, points, source })).outcome!;
  }

  async requestEmergencyCredit(meter: string, cause: string): Promise<void> {
    await this.desk.run(meter, { kind: 'emergency-request', cause });
  }

  /** A meter-side change that moves no money, recorded once by `id` (meter-record). */
  async meterRecord(meter: string, id: string, what: string, detail: Record<string, unknown>): Promise<CommandOutcome> {
    return (await this.desk.run(meter, { kind: 'meter-record', id, what, detail })).outcome!;
  }

  /** The customer pressed the meter's button (reconnect when armed, else emergency credit). */
  async buttonPressed(meter: string): Promise<void> {
    await this.desk.run(meter, { kind: 'button' });
  }
}
