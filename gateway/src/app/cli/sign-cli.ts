/**
 * What `prepaid-gateway command keygen | sign | verify` do, as functions with their inputs passed
 * in (clock, uuid, file reader), so tests need no child process for the rules.
 */
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { PrepaidError } from '@prepaid-edge/protocols';
import { canonicalJson } from '../../core/commands/canonical-json.js';
import { generateCommandKeyPair, signCommand, signedBytes, verifySignature } from '../../core/commands/keys.js';
import type { KeyObject } from 'node:crypto';
import { checkShape, type ValidCommand } from '../../core/commands/shape.js';
import { cosignCommand } from '../../core/commands/cosign.js';

export interface KeygenResult {
  privateKeyPath: string;
  publicKeyPath: string;
  publicKeyRaw: string;
  /** YAML to paste under `credit:` in the gateway configuration (the `credit.keys` list). */
  configSnippet: string;
}

/** Writes `{keyId}.private.pem` (mode 0600) and `{keyId}.public.pem` into `outDir`; never overwrites. */
export function keygen(outDir: string, keyId: string): KeygenResult {
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(keyId) || keyId.startsWith('.')) {
    throw new PrepaidError('E_COMMAND_MALFORMED', 'keyId: use 1-64 letters, digits, dot, dash or underscore (it names the files)', { path: 'keyId' });
  }
  const pair = generateCommandKeyPair();
  mkdirSync(outDir, { recursive: true, mode: 0o700 });
  const privateKeyPath = join(outDir, `${keyId}.private.pem`);
  const publicKeyPath = join(outDir, `${keyId}.public.pem`);
  // 'wx': refuse to replace an existing key (a lost private key cannot be recovered).
  writeFileSync(privateKeyPath, pair.privateKeyPem, { mode: 0o600, flag: 'wx' });
  chmodSync(privateKeyPath, 0o600); // whatever the umask
  writeFileSync(publicKeyPath, pair.publicKeyPem, { mode: 0o644, flag: 'wx' });
  // Indented for its place: the keys live in credit.keys (a top-level `commands:` is not a config key).
  const configSnippet = ['  keys:', `    - keyId: ${keyId}`, `      publicKey: ${pair.publicKeyRaw}`, ''].join('\n');
  return { privateKeyPath, publicKeyPath, publicKeyRaw: pair.publicKeyRaw, configSnippet };
}

/** The git work tree `path` is inside (the nearest folder above with a `.git`), or undefined. */
export function gitWorkTree(path: string): string | undefined {
  let dir = resolve(path);
  for (;;) {
    if (existsSync(join(dir, '.git'))) return dir;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/** Options of `command sign`; every value is the text given on the command line. */
export interface SignOptions {
  keyId: string;
  /** Lifetime from issuedAt (e.g. 90s, 30m, 1h, 7d); default 1h; overrides a JSON expiresAt. */
  ttl?: string;
  /** Epoch ms or ISO 8601; default now. */
  issuedAt?: string;
  id?: string;
  type?: string;
  meter?: string;
  amount?: string;
  currency?: string;
  customerClass?: string;
  /** Epoch ms or ISO 8601. */
  activeFrom?: string;
  state?: string;
  /** Epoch ms, ISO 8601, or a duration after issuedAt (2h). */
  until?: string;
  scheme?: string;
  token?: string;
  note?: string;
  /** adjustment: credit | debit. */
  direction?: string;
  /** adjustment, reverse: a reason code (CORRECTION_REASONS). */
  reason?: string;
  /** refund: the payout's reference. */
  reference?: string;
  /** reverse: the ledger entry id. */
  entry?: string;
  /** account-open. */
  customer?: string;
  openingBalance?: string;
  /** account-close (Wh, optional). */
  finalReading?: string;
  /** meter-swap. */
  oldFinalReading?: string;
  newSerial?: string;
  newStartReading?: string;
  /** keyId of the co-signing key (with SignDeps.cosignKey). */
  cosignKeyId?: string;
}

export interface SignDeps {
  now: number;
  uuid: () => string;
  /** The text of `--json`, already read (file or stdin), or undefined. */
  json?: string;
  privateKey: string | KeyObject;
  /** A second key that co-signs the same text (corrections above the policy's cosignAbove). */
  cosignKey?: string | KeyObject;
}

/** The signed envelope: JSON fields, then flags, then defaults (id, issuedAt, expiresAt); refused if malformed. */
export function buildSignedCommand(o: SignOptions, deps: SignDeps): ValidCommand & { sig: string } {
  const base = deps.json === undefined ? {} : parseJsonObject(deps.json);
  const fields: Record<string, unknown> = { ...base };
  const set = (name: string, v: unknown) => {
    if (v !== undefined) fields[name] = v;
  };
  set('type', o.type);
  set('meter', o.meter);
  set('amount', o.amount === undefined ? undefined : integer('amount', o.amount));
  set('currency', o.currency);
  set('customerClass', o.customerClass);
  set('state', o.state);
  set('scheme', o.scheme);
  set('token', o.token);
  set('note', o.note);
  set('direction', o.direction);
  set('reason', o.reason);
  set('reference', o.reference);
  set('entry', o.entry === undefined ? undefined : integer('entry', o.entry));
  set('customer', o.customer);
  set('openingBalance', o.openingBalance === undefined ? undefined : integer('openingBalance', o.openingBalance));
  set('finalReading', o.finalReading === undefined ? undefined : integer('finalReading', o.finalReading));
  set('oldFinalReading', o.oldFinalReading === undefined ? undefined : integer('oldFinalReading', o.oldFinalReading));
  set('newSerial', o.newSerial);
  set('newStartReading', o.newStartReading === undefined ? undefined : integer('newStartReading', o.newStartReading));
  set('id', o.id);
  fields.id ??= deps.uuid();
  if (o.issuedAt !== undefined) fields.issuedAt = parseTime('issuedAt', o.issuedAt, deps.now);
  fields.issuedAt ??= deps.now;
  const issuedAt = fields.issuedAt as number;
  if (o.activeFrom !== undefined) fields.activeFrom = parseTime('activeFrom', o.activeFrom, issuedAt);
  if (o.until !== undefined) fields.until = parseTime('until', o.until, issuedAt);
  if (o.ttl !== undefined || fields.expiresAt === undefined) fields.expiresAt = issuedAt + parseDuration('ttl', o.ttl ?? '1h');
  fields.keyId ??= o.keyId;
  delete fields.sig;
  delete fields.cosig;
  checkShape(fields, { requireSig: false });
  const signed = signCommand(fields, deps.privateKey, o.keyId);
  if (deps.cosignKey === undefined) return signed as unknown as ValidCommand & { sig: string };
  return cosign(signed, deps.cosignKey, o.cosignKeyId, o.keyId);
}

/** A signed command (its text) co-signed by a second key: the second operator's step, without the first one's key. */
export function cosignCommandText(text: string, privateKey: string | KeyObject, keyId: string): ValidCommand & { sig: string } {
  const o = parseJsonObject(text);
  checkShape(o);
  return cosign(o, privateKey, keyId, typeof o.keyId === 'string' ? o.keyId : '');
}

function cosign(signed: Record<string, unknown>, key: string | KeyObject, keyId: string | undefined, signerKeyId: string): ValidCommand & { sig: string } {
  if (!keyId) throw cliError('cosignKeyId', 'a co-signing key needs its keyId (--cosign-key-id)');
  if (keyId === signerKeyId) throw cliError('cosignKeyId', `${JSON.stringify(keyId)} signed already: a second, different key must co-sign`);
  const out = cosignCommand(signed, key, keyId);
  checkShape(out);
  return out as unknown as ValidCommand & { sig: string };
}

/** Checks a signed command's shape and signature (not clock, meters or limits); returns the canonical text signed. */
export function verifyCommandText(text: string, key: KeyObject): { ok: true; canonical: string } | { ok: false; canonical: string | null; message: string } {
  let o: Record<string, unknown>;
  try {
    o = parseJsonObject(text);
    checkShape(o);
  } catch (e) {
    return { ok: false, canonical: null, message: (e as Error).message };
  }
  const canonical = signedBytes(o).toString('utf8');
  return verifySignature(o, o.sig as string, key) ? { ok: true, canonical } : { ok: false, canonical, message: 'sig: does not verify against this public key' };
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3600_000, d: 86_400_000 };

/** 500ms, 90s, 30m, 1h, 7d, or plain milliseconds. */
export function parseDuration(name: string, text: string): number {
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) throw cliError(name, `${JSON.stringify(text)} is not a duration (e.g. 90s, 30m, 1h, 7d)`);
  return Number(m[1]) * UNIT_MS[m[2] ?? 'ms']!;
}

/** Epoch ms, ISO 8601, or a duration added to `base`. */
export function parseTime(name: string, text: string, base: number): number {
  const t = text.trim();
  if (/^\d{10,}$/.test(t)) return Number(t);
  if (/^\d+(ms|s|m|h|d)$/.test(t)) return base + parseDuration(name, t);
  const ms = Date.parse(t);
  if (!/^\d{4}-\d{2}-\d{2}/.test(t) || Number.isNaN(ms)) throw cliError(name, `${JSON.stringify(text)} is not epoch ms, ISO 8601 or a duration`);
  return ms;
}

function integer(name: string, text: string): number {
  if (!/^-?\d+$/.test(text.trim())) throw cliError(name, `${JSON.stringify(text)} is not an integer (amounts are in account sub-units)`);
  return Number(text);
}

function parseJsonObject(text: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new PrepaidError('E_COMMAND_MALFORMED', `command: not valid JSON (${(e as Error).message})`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new PrepaidError('E_COMMAND_MALFORMED', 'command: must be a JSON object');
  canonicalJson(v);
  return v as Record<string, unknown>;
}

function cliError(name: string, why: string): PrepaidError {
  return new PrepaidError('E_COMMAND_MALFORMED', `${name}: ${why}`, { path: name });
}
