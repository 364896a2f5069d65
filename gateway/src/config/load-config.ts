/**
 * Load and validate the gateway configuration once, at the edge. Errors name the path of the bad
 * field (`meters[2].unit`), unknown keys are errors, defaults live in the schema, the result is frozen.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import YAML from 'yaml';
import { PrepaidError, listProfiles } from '@prepaid-edge/protocols';
import type { GatewayConfig } from './types.js';
import { parseCreditConfig } from '../credit/engine/credit-config.js';
import { listDlt645Profiles } from '../acquisition/dlt645-profile.js';

const schema = JSON.parse(readFileSync(new URL('../../../schema/gateway-config.schema.json', import.meta.url), 'utf8')) as object;
const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
const validate = ajv.compile(schema);

export interface ConfigOverrides {
  mqttUrl?: string;
  dbPath?: string;
}

/** `/meters/2/unit` -> `meters[2].unit` */
export function jsonPointerToPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
}

function describe(e: ErrorObject): { path: string; message: string } {
  const base = jsonPointerToPath(e.instancePath);
  if (e.keyword === 'additionalProperties') {
    const key = (e.params as { additionalProperty: string }).additionalProperty;
    return { path: base ? `${base}.${key}` : key, message: 'unknown key' };
  }
  if (e.keyword === 'required') {
    const key = (e.params as { missingProperty: string }).missingProperty;
    return { path: base ? `${base}.${key}` : key, message: 'is required' };
  }
  if (e.keyword === 'enum') return { path: base, message: `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}` };
  return { path: base || '(root)', message: e.message ?? 'is invalid' };
}

function fail(source: string, problems: Array<{ path: string; message: string }>): never {
  const first = problems[0]!;
  const text = problems.map((p) => `  ${p.path}: ${p.message}`).join('\n');
  throw new PrepaidError('E_CONFIG_INVALID', `${source}: invalid configuration\n${text}`, { path: first.path, source, problems });
}

export function parseConfig(text: string, source = 'config', overrides: ConfigOverrides = {}): GatewayConfig {
  let raw: unknown;
  try {
    raw = YAML.parse(text);
  } catch (e) {
    const pos = (e as { linePos?: Array<{ line: number; col: number }> }).linePos?.[0];
    throw new PrepaidError('E_CONFIG_INVALID', `${source}${pos ? `:${pos.line}:${pos.col}` : ''}: not valid YAML: ${(e as Error).message.split('\n')[0]}`, { source, path: '(file)' }, { cause: e });
  }
  if (raw && typeof raw === 'object') {
    const r = raw as { mqtt?: Record<string, unknown>; storage?: Record<string, unknown> };
    if (overrides.mqttUrl) r.mqtt = { ...(r.mqtt ?? {}), url: overrides.mqttUrl };
    if (overrides.dbPath) r.storage = { ...(r.storage ?? {}), path: overrides.dbPath };
  }
  if (!validate(raw)) {
    // With if/then/else, ajv reports the 'if' failure too; keep the concrete ones.
    fail(source, (validate.errors ?? []).filter((e) => e.keyword !== 'if').map(describe));
  }
  const cfg = raw as GatewayConfig;
  cfg.log ??= { level: 'info' };
  cfg.mqtt.clientId ??= `prepaid-gw-${cfg.gateway.id}`;
  cross(cfg, source);
  const credit = parseCreditConfig((raw as { credit?: unknown }).credit, source, new Set(cfg.meters.map((m) => m.id)));
  if (credit) cfg.credit = credit;
  else delete cfg.credit;
  return deepFreeze(cfg);
}

/** Rules a schema cannot say: references between sections, uniqueness, known profiles and zones. */
function cross(cfg: GatewayConfig, source: string): void {
  const problems: Array<{ path: string; message: string }> = [];
  const busIds = new Map<string, number>();
  cfg.buses.forEach((b, i) => {
    if (busIds.has(b.id)) problems.push({ path: `buses[${i}].id`, message: `duplicate bus id "${b.id}" (also buses[${busIds.get(b.id)}])` });
    busIds.set(b.id, i);
  });
  const known = new Set(listProfiles());
  const meterIds = new Map<string, number>();
  const units = new Map<string, number>();
  cfg.meters.forEach((m, i) => {
    if (meterIds.has(m.id)) problems.push({ path: `meters[${i}].id`, message: `duplicate meter id "${m.id}" (also meters[${meterIds.get(m.id)}])` });
    meterIds.set(m.id, i);
    const bus = cfg.buses.find((b) => b.id === m.bus);
    if (!bus) {
      problems.push({ path: `meters[${i}].bus`, message: `no bus with id "${m.bus}" (buses: ${[...busIds.keys()].join(', ')})` });
      return;
    }
    if (bus.type === 'dlt645') {
      if (!m.address) problems.push({ path: `meters[${i}].address`, message: 'is required for a meter on a dlt645 bus (12 digits)' });
      const dlt = listDlt645Profiles();
      if (!dlt.includes(m.profile)) problems.push({ path: `meters[${i}].profile`, message: `unknown DL/T 645 profile "${m.profile}" (known: ${dlt.join(', ')})` });
    } else {
      if (m.unit === undefined) problems.push({ path: `meters[${i}].unit`, message: 'is required for a Modbus meter (1..247)' });
      if (!known.has(m.profile)) problems.push({ path: `meters[${i}].profile`, message: `unknown profile "${m.profile}" (known: ${[...known].join(', ')})` });
    }
    const key = `${m.bus}/${m.unit ?? m.address}`;
    if (units.has(key)) problems.push({ path: `meters[${i}].${m.address ? 'address' : 'unit'}`, message: `same bus and address as meters[${units.get(key)}]` });
    units.set(key, i);
  });
  const boards = new Set(cfg.boards.map((b) => b.id));
  cfg.meters.forEach((m, i) => {
    if (m.relay?.type === 'gpio' && !boards.has(m.relay.board)) problems.push({ path: `meters[${i}].relay.board`, message: `no board with id "${m.relay.board}" (boards: ${[...boards].join(', ') || 'none'})` });
  });
  // The default needs no check; Intl.DateTimeFormat maps ~8 MB of ICU data into the process (footprint bench).
  if (cfg.gateway.timezone !== 'UTC') {
    try {
      new Intl.DateTimeFormat('en', { timeZone: cfg.gateway.timezone });
    } catch {
      problems.push({ path: 'gateway.timezone', message: `unknown IANA time zone "${cfg.gateway.timezone}"` });
    }
  }
  if (cfg.mqtt.reconnectMaxMs < cfg.mqtt.reconnectMinMs) problems.push({ path: 'mqtt.reconnectMaxMs', message: 'must be >= mqtt.reconnectMinMs' });
  if (problems.length) fail(source, problems);
}

export function loadConfig(path: string, overrides: ConfigOverrides = {}): GatewayConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new PrepaidError('E_CONFIG_INVALID', `cannot read config ${path}: ${(e as Error).message}`, { path: '(file)', source: path }, { cause: e });
  }
  return parseConfig(text, path, overrides);
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/** The config with secrets masked, for logs and `status`. */
export function redactConfig(cfg: GatewayConfig): unknown {
  return JSON.parse(JSON.stringify(cfg, (k, v) => (k === 'password' && v ? '***' : v)));
}
