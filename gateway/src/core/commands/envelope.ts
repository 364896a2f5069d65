/**
 * parseCommand: one received command payload -> a verified command or a rejection with its reason
 * code. Pure: the keys, the clock, the accounts and the limits come in `ctx`; the same input and
 * context always give the same answer. Replays are not detected here: the ledger applies a
 * command id exactly once and answers a repeated id with the original result.
 *
 * Checks, in this order (the first failing one is reported):
 *  1. size <= maxBytes, valid JSON, an object, every value canonicalisable (E_COMMAND_MALFORMED)
 *  2. the shape (shape.ts): id, type (E_COMMAND_UNKNOWN_TYPE), common fields, no unknown fields,
 *     the type's own fields (E_COMMAND_MALFORMED, message names the field)
 *  3. keyId is a configured key (E_COMMAND_UNKNOWN_KEY)
 *  4. sig verifies (E_COMMAND_SIGNATURE); a `cosig`, when present, is by another configured key
 *     and verifies over the same text (E_COMMAND_COSIGN, cosign.ts; whether one is required is the
 *     policy's: correction-limits.ts)
 *  5. validity window: expiresAt > issuedAt, at most maxWindowMs long, issuedAt - maxSkewMs <= now
 *     < expiresAt + maxSkewMs (E_COMMAND_EXPIRED)
 *  6. meter has an account here (E_COMMAND_UNKNOWN_METER)
 *  7. top-up currency / credit unit matches the account, amount <= limits.maxTopUp (E_COMMAND_AMOUNT)
 *  8. tariff / policy not older than the active version for the same target (E_COMMAND_EXPIRED)
 * Everything that depends on this gateway's state (meters, limits, active versions) comes after the
 * signature, so a sender without a key learns nothing about the gateway's meters or accounts.
 *
 * The same checks in two steps, for a caller that looks the meter up itself once the signature has
 * verified: verifyCommand (1-5), then checkTarget (6-8) with what it found, as data.
 */
import type { KeyObject } from 'node:crypto';
import { isPrepaidError, type ErrorCode } from '@prepaid-edge/protocols';
import type { CommandEnvelope } from '../credit/contracts.js';
import { canonicalJson } from './canonical-json.js';
import { verifySignature } from './keys.js';
import { checkShape, envelopeId, type ValidCommand } from './shape.js';
import { cosignProblem } from './cosign.js';
import { topUpLimitOf } from './top-up-limit.js';

export type CommandErrorCode = Extract<ErrorCode, `E_COMMAND_${string}`>;

export const DEFAULT_MAX_COMMAND_BYTES = 16 * 1024;
export const DEFAULT_MAX_WINDOW_MS = 7 * 24 * 3600_000;

/** What a command needs to know of a meter's account. */
export interface CommandAccount {
  creditUnit: 'currency' | 'energy';
  currency?: string;
  /** This account's largest top-up (policy, site or currency default: top-up-limit.ts); else limits.maxTopUp. */
  maxTopUp?: { amount: number; source: string };
}

/** The target whose active tariff / policy version a stale check compares with. */
export interface CommandTarget {
  meter?: string;
  customerClass?: string;
}

/** What checks 1-5 need: nothing of the gateway's meters or accounts. */
export interface VerifyContext {
  /** Configured public keys by keyId (loadPublicKeys). */
  keys: ReadonlyMap<string, KeyObject>;
  /** The gateway's wall clock, epoch ms. */
  now: number;
  /** Allowance for the clocks of gateway and head end disagreeing, both ways (e.g. 300_000). */
  maxSkewMs: number;
  /** Largest payload in bytes; default 16 KiB. */
  maxBytes?: number;
  /** Longest expiresAt - issuedAt; default 7 days. */
  maxWindowMs?: number;
  /** Schema checks of the tariff / policy object: "path.inside: problem" (path relative to the object), or null. */
  validateTariff?: (tariff: unknown) => string | null;
  validatePolicy?: (policy: unknown) => string | null;
}

/** What checks 6-8 need besides the target itself. */
export interface TargetContext {
  /** Largest top-up in account sub-units, for accounts that do not bring their own. */
  limits: { maxTopUp: number };
  /** activeFrom of the version now in force for the target, for the stale rule; undefined if none. */
  currentActiveFrom?: (type: 'tariff' | 'policy', target: CommandTarget) => number | undefined;
}

export interface CommandContext extends VerifyContext, TargetContext {
  /** The account of a meter, or undefined if the meter has none on this gateway. */
  meters: (id: string) => CommandAccount | undefined;
}

/** What a caller found of the meter a verified command names; the top-up limit is worked out from it (top-up-limit.ts). */
export interface CommandTargetFacts {
  creditUnit: 'currency' | 'energy';
  currency?: string;
  subunitsPerUnit: number;
  /** The policy in force for the account now. */
  policy?: { id: string; maxTopUp?: number };
  /** credit.commands.maxTopUp, when the site sets it. */
  configuredMaxTopUp?: number;
  /** Whole units by currency code (or 'energy'): schema/top-up-limits.json. */
  topUpDefaults: Readonly<Record<string, number>>;
}

export interface CommandRejection {
  ok: false;
  /** The command's id when it had a valid one, else null. */
  id: string | null;
  reason: CommandErrorCode;
  /** Starts with the field at fault: `amount: must be a positive integer`. */
  message: string;
  /**
   * True when the signature had verified before the rejection (steps 5-8): the id is then the
   * sender's. A caller may look such an id up and answer `duplicate` if it was applied before
   * (a late retransmission of an applied command), rather than `rejected`.
   */
  authenticated: boolean;
}

export type ParseResult = { ok: true; command: ValidCommand; envelope: CommandEnvelope } | CommandRejection;

export function parseCommand(raw: Buffer | string, ctx: CommandContext): ParseResult {
  const verified = verifyCommand(raw, ctx);
  if (!verified.ok) return verified;
  const c = verified.command;
  const meter = 'meter' in c ? c.meter : undefined;
  const late = semanticProblem(c, meter === undefined ? undefined : ctx.meters(meter), ctx);
  if (late) return { ...late, id: c.id, authenticated: true };
  return verified;
}

/** Checks 1-5: the payload, its shape, its signature and its validity window. */
export function verifyCommand(raw: Buffer | string, ctx: VerifyContext): ParseResult {
  const maxBytes = ctx.maxBytes ?? DEFAULT_MAX_COMMAND_BYTES;
  const size = typeof raw === 'string' ? Buffer.byteLength(raw, 'utf8') : raw.length;
  if (size > maxBytes) return reject(null, 'E_COMMAND_MALFORMED', `command: ${size} bytes exceeds the ${maxBytes}-byte limit`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'));
  } catch (e) {
    return reject(null, 'E_COMMAND_MALFORMED', `command: not valid JSON (${(e as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return reject(null, 'E_COMMAND_MALFORMED', 'command: must be a JSON object');
  const o = parsed as Record<string, unknown>;
  const id = envelopeId(o);

  let command: ValidCommand;
  try {
    canonicalJson(o); // numbers beyond double range (1e400), lone surrogates, absurd nesting
    command = checkShape(o, { validateTariff: ctx.validateTariff, validatePolicy: ctx.validatePolicy });
  } catch (e) {
    if (isPrepaidError(e) && e.code.startsWith('E_COMMAND_')) return reject(id, e.code as CommandErrorCode, e.message);
    throw e;
  }

  const key = ctx.keys.get(command.keyId);
  if (!key) return reject(id, 'E_COMMAND_UNKNOWN_KEY', `keyId: no key ${JSON.stringify(command.keyId)} in this gateway's configuration`);
  if (!verifySignature(o, o.sig as string, key)) return reject(id, 'E_COMMAND_SIGNATURE', `sig: does not verify against key ${JSON.stringify(command.keyId)}`);
  const cosig = cosignProblem(o, command.keyId, ctx.keys);
  if (cosig) return { ok: false, id, reason: cosig.reason, message: cosig.message, authenticated: true };

  const late = windowProblem(command, ctx);
  if (late) return { ...late, id, authenticated: true };
  return { ok: true, command, envelope: o as CommandEnvelope };
}

/** Checks 6-8 of a verified command against what the caller found of its meter (undefined: no account here). */
export function checkTarget(c: ValidCommand, target: CommandTargetFacts | undefined, ctx: TargetContext): CommandRejection | null {
  let account: CommandAccount | undefined;
  if (target) {
    const unit = target.creditUnit === 'energy' ? 'energy' : target.currency;
    const max = topUpLimitOf({ unit, subunitsPerUnit: target.subunitsPerUnit, ...(target.policy ? { policy: target.policy } : {}), ...(target.configuredMaxTopUp !== undefined ? { configured: target.configuredMaxTopUp } : {}) }, target.topUpDefaults);
    account = { creditUnit: target.creditUnit, ...(target.currency ? { currency: target.currency } : {}), ...(max ? { maxTopUp: max } : {}) };
  }
  const late = semanticProblem(c, account, ctx);
  return late ? { ...late, id: c.id, authenticated: true } : null;
}

type Problem = Pick<CommandRejection, 'ok' | 'reason' | 'message'>;

function windowProblem(c: ValidCommand, ctx: VerifyContext): Problem | null {
  const maxWindow = ctx.maxWindowMs ?? DEFAULT_MAX_WINDOW_MS;
  const skew = ctx.maxSkewMs;
  if (c.expiresAt <= c.issuedAt) return problem('E_COMMAND_EXPIRED', 'expiresAt: must be after issuedAt');
  if (c.expiresAt - c.issuedAt > maxWindow) {
    return problem('E_COMMAND_EXPIRED', `expiresAt: validity window of ${c.expiresAt - c.issuedAt} ms exceeds the ${maxWindow} ms maximum`);
  }
  if (ctx.now >= c.expiresAt + skew) {
    return problem('E_COMMAND_EXPIRED', `expiresAt: expired at ${iso(c.expiresAt)} (gateway time ${iso(ctx.now)}, skew allowance ${skew} ms)`);
  }
  if (c.issuedAt - skew > ctx.now) {
    return problem('E_COMMAND_EXPIRED', `issuedAt: ${iso(c.issuedAt)} is in the future (gateway time ${iso(ctx.now)}, skew allowance ${skew} ms)`);
  }
  return null;
}

function semanticProblem(c: ValidCommand, account: CommandAccount | undefined, ctx: TargetContext): Problem | null {
  const meter = 'meter' in c ? c.meter : undefined;
  if (meter !== undefined && !account) return problem('E_COMMAND_UNKNOWN_METER', `meter: no account for ${JSON.stringify(meter)} on this gateway`);

  if (c.type === 'topup' && account) {
    const expected = account.creditUnit === 'energy' ? 'energy' : account.currency;
    if (c.currency !== expected) {
      return problem('E_COMMAND_AMOUNT', `currency: ${c.currency} does not match the account of ${c.meter} (${expected ?? 'no currency configured'})`);
    }
    const max = account.maxTopUp ?? { amount: ctx.limits.maxTopUp, source: '' };
    if (c.amount > max.amount) return problem('E_COMMAND_AMOUNT', `amount: ${c.amount} exceeds the maximum top-up of ${max.amount}${max.source ? ` (${max.source})` : ''}`);
  }

  if ((c.type === 'tariff' || c.type === 'policy') && ctx.currentActiveFrom) {
    const target: CommandTarget = c.type === 'policy' ? { customerClass: c.customerClass } : c.meter !== undefined ? { meter: c.meter } : { customerClass: c.customerClass! };
    const current = ctx.currentActiveFrom(c.type, target);
    if (current !== undefined && c.activeFrom < current) {
      const who = target.meter !== undefined ? `meter ${target.meter}` : `class ${target.customerClass}`;
      return problem('E_COMMAND_EXPIRED', `activeFrom: ${iso(c.activeFrom)} is older than the ${c.type} in force for ${who} (active from ${iso(current)}): stale`);
    }
  }
  return null;
}

function problem(reason: CommandErrorCode, message: string): Problem {
  return { ok: false, reason, message };
}

function reject(id: string | null, reason: CommandErrorCode, message: string): CommandRejection {
  return { ok: false, id, reason, message, authenticated: false };
}

function iso(ms: number): string {
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(ms);
}
