/** Topics of the command channel and the payloads published on `.../commands/results` (docs/mqtt.md#commands). */
import type { CommandOutcome } from '../credit/contracts.js';
import type { CommandRejection } from './envelope.js';

export interface CommandTopics {
  /** Where the head end publishes signed commands; the gateway subscribes at QoS 1. */
  commands: string;
  /** Where the gateway publishes one result per command received, QoS 1, not retained. */
  results: string;
}

export function commandTopics(prefix: string, gatewayId: string): CommandTopics {
  const root = `${prefix.replace(/\/+$/, '')}/${gatewayId}`;
  return { commands: `${root}/commands`, results: `${root}/commands/results` };
}

/** The outcome to publish for a command parseCommand rejected. */
export function rejectionOutcome(r: Pick<CommandRejection, 'id' | 'reason' | 'message'>): CommandOutcome {
  return { status: 'rejected', id: r.id, reason: r.reason, message: r.message };
}

/**
 * The JSON text for the results topic: the outcome's fields and `ts`, when the result was
 * published. A duplicate carries the original outcome unchanged (its own `ts` is the original's
 * if it was stored with one). Fields that are undefined are left out.
 */
export function resultPayload(outcome: CommandOutcome, now: number): string {
  return JSON.stringify({ ...outcome, ts: now });
}
