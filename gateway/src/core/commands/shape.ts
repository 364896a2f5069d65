/**
 * The fields of each command type: what must be there, of what type, and nothing else. Pure and
 * independent of keys, clock and accounts, so the signing tool can refuse a malformed command
 * before signing it. Failures throw E_COMMAND_MALFORMED (or E_COMMAND_UNKNOWN_TYPE) whose message
 * starts with the field path: `amount: must be a positive integer`.
 */
import { PrepaidError } from '@prepaid-edge/protocols';
import type { CommandType, Policy, Tariff } from '../credit/contracts.js';
import { decodeSignature } from './keys.js';
import { malformed, type CommandBase } from './command-base.js';
import { ACCOUNT_FIELDS, checkAccountShape, type AccountCommand, type AccountCommandType } from './account-shape.js';

export const COMMAND_TYPES: readonly CommandType[] = ['topup', 'tariff', 'policy', 'relay-override', 'token', 'emergency-credit', 'points-redeem', 'config', ...(Object.keys(ACCOUNT_FIELDS) as AccountCommandType[])];

export type { CommandBase } from './command-base.js';

/** Adds `amount` sub-units of the account's credit unit; `currency` is the account's ISO 4217 code, or 'energy' (amount in Wh). */
export interface TopUpCommand extends CommandBase {
  type: 'topup';
  meter: string;
  amount: number;
  currency: string;
}

/** A tariff for one meter or for a customer class, from `activeFrom` on. Exactly one of meter / customerClass. */
export interface TariffCommand extends CommandBase {
  type: 'tariff';
  meter?: string;
  customerClass?: string;
  /** Checked against the tariff schema only when the context supplies `validateTariff`. */
  tariff: Tariff;
  activeFrom: number;
}

export interface PolicyCommand extends CommandBase {
  type: 'policy';
  customerClass: string;
  /** Checked against the policy schema only when the context supplies `validatePolicy`. */
  policy: Policy;
  activeFrom: number;
}

/** Maintenance override of the relay: hold it connected or disconnected until `until`; 'auto' ends an override. */
export interface RelayOverrideCommand extends CommandBase {
  type: 'relay-override';
  meter: string;
  state: 'connected' | 'disconnected' | 'auto';
  /** Epoch ms, after issuedAt; required for connected / disconnected, absent for auto. */
  until?: number;
}

/** A token to enter on the customer's behalf: STS 20 digits, OpenPAYGO 9, 12, 15 or 20 digits. */
export interface TokenCommand extends CommandBase {
  type: 'token';
  meter: string;
  scheme: 'sts' | 'openpaygo';
  token: string;
}

/** Grant the policy's emergency credit remotely (e.g. the customer phoned), as if the button was pressed. */
export interface EmergencyCreditCommand extends CommandBase {
  type: 'emergency-credit';
  meter: string;
}

/** Turn loyalty points into credit (policy points; exactly once by id, audited). */
export interface PointsRedeemCommand extends CommandBase {
  type: 'points-redeem';
  meter: string;
  points: number;
}


/**
 * A new configuration for the whole gateway (docs/mqtt.md, "Remote configuration"): either the whole
 * document (`config`) or an RFC 7396 JSON merge patch of the active one (`patch`), exactly one.
 * `base` is the hash of the active document it was made from (configHash): another base is refused.
 */
export interface ConfigCommand extends CommandBase {
  type: 'config';
  version: number;
  base: string;
  config?: Record<string, unknown>;
  patch?: Record<string, unknown>;
}

export type ValidCommand = TopUpCommand | TariffCommand | PolicyCommand | RelayOverrideCommand | TokenCommand | EmergencyCreditCommand | PointsRedeemCommand | ConfigCommand | AccountCommand;

/** Latest instant a JS Date can hold (ECMAScript 21.4.1.1); keeps every time printable. */
const MAX_MS = 8.64e15;
const COMMON = ['id', 'type', 'issuedAt', 'expiresAt', 'keyId', 'sig', 'note'];
const FIELDS: Record<CommandType, string[]> = {
  topup: ['meter', 'amount', 'currency'],
  tariff: ['meter', 'customerClass', 'tariff', 'activeFrom'],
  policy: ['customerClass', 'policy', 'activeFrom'],
  'relay-override': ['meter', 'state', 'until'],
  token: ['meter', 'scheme', 'token'],
  'emergency-credit': ['meter'],
  config: ['version', 'base', 'config', 'patch'],
  'points-redeem': ['meter', 'points'],
  ...ACCOUNT_FIELDS,
};
const OPENPAYGO_DIGITS = [9, 12, 15, 20];

export class FieldReader {
  constructor(private readonly o: Record<string, unknown>) {}

  has(name: string): boolean {
    return this.o[name] !== undefined;
  }

  /** A non-empty identifier-like string: at most `max` characters, no control characters. */
  id(name: string, max = 128): string {
    const v = this.o[name];
    if (typeof v !== 'string' || v.length === 0 || v.length > max || /[\u0000-\u001f\u007f]/.test(v)) {
      throw malformed(name, v === undefined ? 'missing' : `must be a non-empty string of at most ${max} characters without control characters`);
    }
    return v;
  }

  text(name: string, max: number): string {
    const v = this.o[name];
    if (typeof v !== 'string' || v.length > max) throw malformed(name, v === undefined ? 'missing' : `must be a string of at most ${max} characters`);
    return v;
  }

  /** Epoch milliseconds: an integer in [0, 8.64e15]. */
  time(name: string): number {
    const v = this.o[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_MS) {
      throw malformed(name, v === undefined ? 'missing' : 'must be an integer epoch time in milliseconds');
    }
    return v;
  }

  positiveInt(name: string): number {
    const v = this.o[name];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) throw malformed(name, v === undefined ? 'missing' : 'must be a positive integer');
    return v;
  }

  oneOf<T extends string>(name: string, values: readonly T[]): T {
    const v = this.o[name];
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
      throw malformed(name, v === undefined ? 'missing' : `must be one of ${values.join(', ')}`);
    }
    return v as T;
  }

  object(name: string): Record<string, unknown> {
    const v = this.o[name];
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw malformed(name, v === undefined ? 'missing' : 'must be an object');
    return v as Record<string, unknown>;
  }
}

/** The id of a raw envelope if it is a valid one (so rejections can name the command), else null. */
export function envelopeId(o: Record<string, unknown>): string | null {
  try {
    return new FieldReader(o).id('id');
  } catch {
    return null;
  }
}

/**
 * The command the fields describe, checked field by field in a fixed order: id, type (unknown ->
 * E_COMMAND_UNKNOWN_TYPE), issuedAt, expiresAt, keyId, sig (unless `requireSig` is false: the
 * signing tool checks before there is one), note, unknown fields, then the type's own fields.
 * `validate` may check the tariff / policy object and return "path: problem" or null.
 */
export function checkShape(
  o: Record<string, unknown>,
  opts: { requireSig?: boolean; validateTariff?: (v: unknown) => string | null; validatePolicy?: (v: unknown) => string | null } = {},
): ValidCommand {
  const f = new FieldReader(o);
  const id = f.id('id');
  const typeName = f.text('type', 64);
  if (!(COMMAND_TYPES as readonly string[]).includes(typeName)) {
    throw new PrepaidError('E_COMMAND_UNKNOWN_TYPE', `type: ${JSON.stringify(typeName)} is not one of ${COMMAND_TYPES.join(', ')}`, { path: 'type', id });
  }
  const type = typeName as CommandType;
  const base: CommandBase = { id, issuedAt: f.time('issuedAt'), expiresAt: f.time('expiresAt'), keyId: f.id('keyId') };
  if (opts.requireSig !== false || f.has('sig')) {
    const sig = f.text('sig', 256);
    if (!decodeSignature(sig)) throw malformed('sig', 'must be the base64url (or base64) of a 64-byte Ed25519 signature');
  }
  if (f.has('note')) base.note = f.text('note', 512);
  const allowed = new Set([...COMMON, ...FIELDS[type]]);
  const extra = Object.keys(o).find((k) => !allowed.has(k));
  if (extra !== undefined) throw malformed(extra, `unknown field for type ${type} (allowed: ${[...allowed].join(', ')})`);

  switch (type) {
    case 'topup': {
      const meter = f.id('meter');
      const amount = f.positiveInt('amount');
      const currency = f.text('currency', 16);
      if (currency !== 'energy' && !/^[A-Z]{3}$/.test(currency)) throw malformed('currency', "must be an ISO 4217 code (e.g. CNY) or 'energy'");
      return { ...base, type, meter, amount, currency };
    }
    case 'tariff': {
      const target = f.has('meter') === f.has('customerClass') ? null : f.has('meter') ? { meter: f.id('meter') } : { customerClass: f.id('customerClass') };
      if (!target) throw malformed('meter', 'exactly one of meter or customerClass must be given');
      const tariff = f.object('tariff');
      check('tariff', tariff, opts.validateTariff);
      return { ...base, type, ...target, tariff: tariff as unknown as Tariff, activeFrom: f.time('activeFrom') };
    }
    case 'policy': {
      const customerClass = f.id('customerClass');
      const policy = f.object('policy');
      check('policy', policy, opts.validatePolicy);
      return { ...base, type, customerClass, policy: policy as unknown as Policy, activeFrom: f.time('activeFrom') };
    }
    case 'relay-override': {
      const meter = f.id('meter');
      const state = f.oneOf('state', ['connected', 'disconnected', 'auto'] as const);
      if (state === 'auto') {
        if (f.has('until')) throw malformed('until', "not allowed with state 'auto' (it ends the override now)");
        return { ...base, type, meter, state };
      }
      const until = f.time('until');
      if (until <= base.issuedAt) throw malformed('until', 'must be after issuedAt');
      return { ...base, type, meter, state, until };
    }
    case 'token': {
      const meter = f.id('meter');
      const scheme = f.oneOf('scheme', ['sts', 'openpaygo'] as const);
      const token = f.text('token', 32);
      const ok = /^[0-9]+$/.test(token) && (scheme === 'sts' ? token.length === 20 : OPENPAYGO_DIGITS.includes(token.length));
      if (!ok) throw malformed('token', scheme === 'sts' ? 'must be 20 digits' : 'must be 9, 12, 15 or 20 digits');
      return { ...base, type, meter, scheme, token };
    }
    case 'emergency-credit':
      return { ...base, type, meter: f.id('meter') };
    case 'config': {
      const version = f.positiveInt('version');
      const hash = f.text('base', 80);
      if (!/^sha256:[0-9a-f]{64}$/.test(hash)) throw malformed('base', "must be 'sha256:' and 64 lowercase hex digits (the hash of the active configuration)");
      if (f.has('config') === f.has('patch')) throw malformed('config', 'exactly one of config (the whole document) or patch (RFC 7396 merge patch) must be given');
      return f.has('config') ? { ...base, type, version, base: hash, config: f.object('config') } : { ...base, type, version, base: hash, patch: f.object('patch') };
    }
    case 'points-redeem':
      return { ...base, type, meter: f.id('meter'), points: f.positiveInt('points') };
    default:
      return checkAccountShape(type, base, f, o);
  }
}

function check(name: string, value: unknown, validate: ((v: unknown) => string | null) | undefined): void {
  const problem = validate?.(value);
  if (problem) throw new PrepaidError('E_COMMAND_MALFORMED', `${name}.${problem}`, { path: name });
}

export { malformed } from './command-base.js';
