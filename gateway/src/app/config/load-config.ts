/**
 * Load and validate the gateway configuration once, at the edge. Errors name the path of the bad
 * field (`meters[2].unit`), unknown keys are errors, defaults live in the schema, the result is frozen.
 */
import { readFileSync } from 'node:fs';
import type { ErrorObject } from 'ajv';
import YAML from 'yaml';
import { PrepaidError, listProfiles, measurementFor } from '@prepaid-edge/protocols';
import type { GatewayConfig } from '../../core/config/gateway-config.js';
// schema/gateway-config.schema.json, compiled ahead of time (scripts/compile-schemas.mjs): compiling it cost every start ~200 ms.
import validate from '#schema/gateway-config';
import { parseCreditConfig } from '../../adapters/credit/credit-config.js';
import { listDlt645Profiles } from '../../adapters/acquisition/dlt645-profile.js';
import { listenAddress } from '../../adapters/web/console-config.js';
import { checkRating } from './rating-config.js';
import { parseAnomalyConfig, type AnomalyConfig } from '../../core/anomaly/index.js';
import { defaultAnomalyRules } from '../../adapters/anomaly/default-rules.js';



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
  problems = dedupe(problems);
  const first = problems[0]!;
  const text = problems.map((p) => `  ${p.path}: ${p.message}`).join('\n');
  throw new PrepaidError('E_CONFIG_INVALID', `${source}: invalid configuration\n${text}`, { path: first.path, source, problems });
}

type Problem = { path: string; message: string };

/** `gw.yaml:3:8: not valid YAML: why`, then the whole line and a caret under the column. */
function yamlError(text: string, source: string, e: unknown): PrepaidError {
  const pos = (e as { linePos?: Array<{ line: number; col: number }> }).linePos?.[0];
  const why = (e as Error).message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  let excerpt = '';
  if (pos) {
    const line = text.split(/\r?\n/)[pos.line - 1] ?? '';
    const gutter = String(pos.line).padStart(4);
    // Keep tabs in the caret's indent so it lines up under a tab-indented line too.
    const indent = line.slice(0, pos.col - 1).replace(/[^\t]/g, ' ');
    excerpt = `\n${gutter} | ${line}\n${' '.repeat(gutter.length)} | ${indent}^`;
  }
  const at = pos ? `:${pos.line}:${pos.col}` : '';
  return new PrepaidError('E_CONFIG_INVALID', `${source}${at}: not valid YAML: ${why}${excerpt}`, { source, path: '(file)', ...(pos ? { line: pos.line, col: pos.col } : {}) }, { cause: e });
}

export function parseConfig(text: string, source = 'config', overrides: ConfigOverrides = {}): GatewayConfig {
  let raw: unknown;
  try {
    // A warning (an unresolved tag such as `!path:` from a typo) is refused like an error, not
    // printed by the YAML library as a process warning while the config goes on without that key.
    const doc = YAML.parseDocument(text, { logLevel: 'silent' });
    const problem = doc.errors[0] ?? doc.warnings[0];
    if (problem) throw problem;
    raw = doc.toJS();
  } catch (e) {
    throw yamlError(text, source, e);
  }
  if (raw && typeof raw === 'object') {
    const r = raw as { mqtt?: Record<string, unknown>; storage?: Record<string, unknown> };
    if (overrides.mqttUrl) r.mqtt = { ...(r.mqtt ?? {}), url: overrides.mqttUrl };
    if (overrides.dbPath) r.storage = { ...(r.storage ?? {}), path: overrides.dbPath };
  }
  // Every problem in one pass: the schema's, then the rules it cannot say, then the credit section's.
  const problems: Problem[] = [];
  if (!validate(raw)) {
    // With if/then/else, ajv reports the 'if' failure too; keep the concrete ones.
    problems.push(...(validate.errors ?? []).filter((e) => e.keyword !== 'if').map(describe));
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) fail(source, problems.length ? problems : [{ path: '(root)', message: 'must be a mapping (gateway:, storage:, mqtt:, buses:, meters:)' }]);
  const cfg = raw as GatewayConfig;
  cross(cfg, problems);
  let credit: ReturnType<typeof parseCreditConfig> | undefined;
  // The credit section's own checks assume its shape; with a shape problem there, the schema's message says enough.
  if (!problems.some((p) => p.path === 'credit' || p.path.startsWith('credit.'))) {
    try {
      credit = parseCreditConfig((raw as { credit?: unknown }).credit, source, new Set(objects<{ id: unknown }>(cfg.meters).map((m) => String(m.id))));
    } catch (e) {
      const inner = (e as PrepaidError).context?.problems as Problem[] | undefined;
      if (!inner) throw e;
      problems.push(...inner);
    }
  }
  let ratingFile: string | undefined;
  const ratingRef = (raw as { rating?: { file?: unknown } }).rating;
  if (ratingRef && typeof ratingRef.file === 'string' && !problems.some((p) => p.path.startsWith('rating'))) {
    const r = checkRating({ file: ratingRef.file }, credit, source);
    problems.push(...r.problems);
    ratingFile = r.file;
  }
  let anomaly: AnomalyConfig | undefined;
  if ((raw as { anomaly?: unknown }).anomaly !== undefined && !problems.some((p) => p.path === 'anomaly')) {
    try {
      anomaly = parseAnomalyConfig((raw as { anomaly?: unknown }).anomaly, { at: 'anomaly', defaults: defaultAnomalyRules(), meterIds: new Set(objects<{ id: unknown }>(cfg.meters).map((m) => String(m.id))) });
    } catch (e) {
      const inner = (e as PrepaidError).context?.problems as Problem[] | undefined;
      if (!inner) throw e;
      problems.push(...inner);
    }
  }
  if (problems.length) fail(source, problems);
  if (ratingFile) cfg.rating = { file: ratingFile };
  if (anomaly) cfg.anomaly = anomaly;
  cfg.log ??= { level: 'info' };
  cfg.mqtt.clientId ??= `prepaid-gw-${cfg.gateway.id}`;
  if (credit) cfg.credit = credit;
  else delete cfg.credit;
  return deepFreeze(cfg);
}

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const k = `${p.path}\0${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** The object items of a list that may not have passed the schema. */
function objects<T>(list: unknown): T[] {
  return Array.isArray(list) ? (list.filter((x) => x && typeof x === 'object') as T[]) : [];
}

/**
 * Rules a schema cannot say: references between sections, uniqueness, known profiles and zones, a
 * console the gateway would refuse to serve. Runs on a config that may have failed the schema, so
 * every field is checked for its type before use.
 */
function cross(cfg: GatewayConfig, problems: Problem[]): void {
  const buses = objects<GatewayConfig['buses'][number]>(cfg.buses);
  const meters = objects<GatewayConfig['meters'][number]>(cfg.meters);
  const busIds = new Map<string, number>();
  buses.forEach((b, i) => {
    if (typeof b.id !== 'string') return;
    if (busIds.has(b.id)) problems.push({ path: `buses[${i}].id`, message: `duplicate bus id "${b.id}" (also buses[${busIds.get(b.id)}])` });
    busIds.set(b.id, i);
    const r = b as { type?: unknown; driver?: unknown; maxInFlight?: unknown };
    if (r.type === 'rtu-over-tcp' && r.driver === 'modbus-serial') problems.push({ path: `buses[${i}].driver`, message: 'modbus-serial cannot speak RTU over TCP; leave driver out (the gateway\'s own master)' });
    if (r.type === 'rtu-over-tcp' && r.maxInFlight !== undefined && r.maxInFlight !== 1) problems.push({ path: `buses[${i}].maxInFlight`, message: 'RTU over TCP carries one request at a time' });
    if (r.driver === 'modbus-serial' && r.maxInFlight !== undefined && r.maxInFlight !== 1) problems.push({ path: `buses[${i}].maxInFlight`, message: 'modbus-serial keeps one request in flight' });
  });
  const known = new Set(listProfiles());
  const meterIds = new Map<string, number>();
  const units = new Map<string, number>();
  meters.forEach((m, i) => {
    if (typeof m.id === 'string') {
      if (meterIds.has(m.id)) problems.push({ path: `meters[${i}].id`, message: `duplicate meter id "${m.id}" (also meters[${meterIds.get(m.id)}])` });
      meterIds.set(m.id, i);
    }
    if (typeof m.bus !== 'string') return;
    const bus = buses.find((b) => b.id === m.bus);
    if (!bus) {
      problems.push({ path: `meters[${i}].bus`, message: `no bus with id "${m.bus}" (buses: ${[...busIds.keys()].join(', ')})` });
      return;
    }
    if (bus.type === 'dlt645') {
      if (!m.address) problems.push({ path: `meters[${i}].address`, message: 'is required for a meter on a dlt645 bus (12 digits)' });
      const dlt = listDlt645Profiles();
      if (typeof m.profile === 'string' && !dlt.includes(m.profile)) problems.push({ path: `meters[${i}].profile`, message: `unknown DL/T 645 profile "${m.profile}" (known: ${dlt.join(', ')})` });
    } else {
      if (m.unit === undefined) problems.push({ path: `meters[${i}].unit`, message: 'is required for a Modbus meter (1..247)' });
      if (typeof m.profile === 'string' && !known.has(m.profile)) problems.push({ path: `meters[${i}].profile`, message: `unknown profile "${m.profile}" (known: ${[...known].join(', ')})` });
    }
    const key = `${m.bus}/${m.unit ?? m.address}`;
    if (units.has(key)) problems.push({ path: `meters[${i}].${m.address ? 'address' : 'unit'}`, message: `same bus and address as meters[${units.get(key)}]` });
    units.set(key, i);
  });
  const boards = new Set(objects<{ id: string }>(cfg.boards).map((b) => b.id));
  meters.forEach((m, i) => {
    if (m.relay?.type === 'gpio' && !boards.has(m.relay.board)) problems.push({ path: `meters[${i}].relay.board`, message: `no board with id "${m.relay.board}" (boards: ${[...boards].join(', ') || 'none'})` });
  });
  const zone = (cfg.gateway as { timezone?: unknown } | undefined)?.timezone;
  // The default needs no check; Intl.DateTimeFormat maps ~8 MB of ICU data into the process (footprint bench).
  if (typeof zone === 'string' && zone !== 'UTC') {
    try {
      new Intl.DateTimeFormat('en', { timeZone: zone });
    } catch {
      problems.push({ path: 'gateway.timezone', message: `unknown IANA time zone "${zone}"` });
    }
  }
  const mqtt = cfg.mqtt as Partial<GatewayConfig['mqtt']> | undefined;
  if (typeof mqtt?.reconnectMaxMs === 'number' && typeof mqtt.reconnectMinMs === 'number' && mqtt.reconnectMaxMs < mqtt.reconnectMinMs) problems.push({ path: 'mqtt.reconnectMaxMs', message: 'must be >= mqtt.reconnectMinMs' });
  const spb = cfg.sparkplug as { deadbands?: unknown } | undefined;
  if (spb?.deadbands && typeof spb.deadbands === 'object') {
    for (const name of Object.keys(spb.deadbands)) {
      if (!measurementFor(name)) problems.push({ path: `sparkplug.deadbands.${name}`, message: `not a canonical measurement name (e.g. power, voltageL1, energyImport)` });
    }
  }
  // `run` refuses a public console only after it has connected (and published its status): refuse it here.
  const con = cfg.console as { listen?: unknown; allowPublic?: unknown } | undefined;
  if (con && typeof con.listen === 'string') {
    try {
      listenAddress({ listen: con.listen, allowPublic: con.allowPublic === true });
    } catch (e) {
      problems.push({ path: 'console.listen', message: (e as Error).message.replace(/^console\.listen:\s*/, '') });
    }
  }
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
