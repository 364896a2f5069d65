/**
 * The signed corrections and lifecycle commands, from a verified command to the account's book
 * (account-lifecycle.ts). A refusal found in the account's turn (limits, co-sign, reversal,
 * lifecycle state) is remembered under the command id like every authenticated rejection.
 */
import type { CommandOutcome } from '../../core/credit/contracts.js';
import type { AccountCommand } from '../../core/commands/index.js';
import type { AccountCommandRef } from '../../core/credit/decision.js';
import type { Ledger } from '../store/ledger/index.js';
import { Refusal, type AccountLifecycle } from './account-lifecycle.js';

export interface AccountCommandDeps {
  lifecycle: AccountLifecycle;
  ledger: Ledger;
  /** The meter has an open account here. */
  hasAccount: (meter: string) => boolean;
  /** The meter is in the configuration's `meters:` (acquisition reads it). */
  meterConfigured: (meter: string) => boolean;
}

export async function applyAccountCommand(cmd: AccountCommand, deps: AccountCommandDeps): Promise<CommandOutcome> {
  try {
    return await apply(cmd, deps);
  } catch (e) {
    if (!(e instanceof Refusal)) throw e;
    const outcome: CommandOutcome = { status: 'rejected', id: cmd.id, reason: e.reason, message: e.message };
    return deps.ledger.recordRejected(cmd.id, cmd.type, outcome);
  }
}

async function apply(cmd: AccountCommand, deps: AccountCommandDeps): Promise<CommandOutcome> {
  const { lifecycle } = deps;
  const cosigned = 'cosig' in cmd && cmd.cosig !== undefined;
  const ref: AccountCommandRef = {
    id: cmd.id,
    type: cmd.type,
    source: `command:${cmd.keyId}`,
    detail: {
      keyId: cmd.keyId,
      ...('cosig' in cmd && cmd.cosig ? { cosignedBy: cmd.cosig.keyId } : {}),
      ...('reason' in cmd ? { reason: cmd.reason } : {}),
      ...(cmd.type === 'refund' && cmd.reference ? { reference: cmd.reference } : {}),
      ...(cmd.note ? { note: cmd.note } : {}),
    },
  };
  switch (cmd.type) {
    case 'adjustment':
      return lifecycle.correct(cmd.meter, ref, { delta: cmd.direction === 'credit' ? cmd.amount : -cmd.amount }, cosigned);
    case 'refund':
      return lifecycle.correct(cmd.meter, ref, { delta: -cmd.amount }, cosigned);
    case 'reverse':
      return lifecycle.correct(cmd.meter, ref, { reverses: cmd.entry }, cosigned);
    case 'account-open': {
      if (!deps.meterConfigured(cmd.meter)) throw new Refusal('E_COMMAND_ACCOUNT_STATE', `meter: ${JSON.stringify(cmd.meter)} is not in this gateway's meters: configuration`);
      if (deps.hasAccount(cmd.meter)) throw new Refusal('E_COMMAND_ACCOUNT_STATE', `meter: an account is open on ${cmd.meter}: close it first (account-close)`);
      const unit = lifecycle.unitOf(cmd.customerClass);
      if (typeof unit === 'string') throw new Refusal('E_COMMAND_ACCOUNT_STATE', unit);
      const spec = { meter: cmd.meter, customer: cmd.customer, customerClass: cmd.customerClass, ...unit };
      return lifecycle.open(spec, { ...ref, detail: { ...ref.detail, customer: cmd.customer, customerClass: cmd.customerClass } }, cmd.openingBalance, cosigned);
    }
    case 'account-close':
      return lifecycle.close(cmd.meter, ref, cmd.finalReading);
    case 'meter-swap':
      return lifecycle.swap(cmd.meter, ref, cmd.oldFinalReading, cmd.newStartReading, cmd.newSerial);
  }
}
