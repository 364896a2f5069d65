/**
 * Scenario files (YAML or JSON): loads, faults and timed events, validated by
 * schema/scenario.schema.json. Errors name the path of the bad field.
 */
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import YAML from 'yaml';
import { PrepaidError } from '@prepaid-edge/protocols';
import type { LoadSpec } from './physics/load-profiles.js';
import type { FaultSpec } from './faults.js';

export type Units = 'all' | number | number[];

export interface ScenarioMeter {
  units: Units;
  profile?: 'sdm630' | 'sdm120' | 'prepaid' | 'dlt645' | 'dlt645-3p';
  load?: LoadSpec;
  energyImportWh?: number;
  baudRate?: number;
  parity?: 'none' | 'even' | 'odd';
  faults?: FaultSpec[];
  /** A feeder meter: it measures what these units draw (their flow, metered or not) plus lossPct. */
  feeds?: number[];
  /** Technical losses between the feeder and its sub-meters, % of what they draw (default 0). */
  lossPct?: number;
}

export interface ScenarioEvent {
  at: number;
  units: Units;
  load?: LoadSpec;
  fault?: FaultSpec;
  clearFaults?: boolean;
  relay?: 'open' | 'close';
}

export interface Scenario {
  description?: string;
  start?: string;
  seed?: number | string;
  tickMs?: number;
  utcOffsetMin?: number;
  meters?: ScenarioMeter[];
  events?: ScenarioEvent[];
}

const schema = JSON.parse(readFileSync(new URL('../../schema/scenario.schema.json', import.meta.url), 'utf8')) as object;
const ajv = new Ajv({ allErrors: false, strict: false, validateFormats: false });
const validate = ajv.compile(schema);

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDuration(v: number | string): number {
  if (typeof v === 'number') return v;
  const m = /^([0-9]+)(ms|s|m|h|d)$/.exec(v);
  if (!m) throw new PrepaidError('E_SCENARIO_INVALID', `"${v}" is not a duration like 90s, 15m, 2h`, { value: v });
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

export function parseScenario(text: string, source = 'scenario'): Scenario {
  let raw: unknown;
  try {
    raw = YAML.parse(text);
  } catch (e) {
    throw new PrepaidError('E_SCENARIO_INVALID', `${source}: not valid YAML/JSON: ${(e as Error).message}`, { source }, { cause: e });
  }
  if (!validate(raw)) {
    const err = validate.errors![0]!;
    const path = err.instancePath || '/';
    const detail = err.keyword === 'additionalProperties' ? `unknown key "${(err.params as { additionalProperty: string }).additionalProperty}"` : err.message;
    throw new PrepaidError('E_SCENARIO_INVALID', `${source}: ${path}: ${detail}`, { source, path });
  }
  const s = raw as Scenario & { events?: Array<ScenarioEvent & { at: number | string }> };
  if (s.start !== undefined && Number.isNaN(Date.parse(s.start)))
    throw new PrepaidError('E_SCENARIO_INVALID', `${source}: /start: "${s.start}" is not an ISO 8601 date-time`, { source, path: '/start' });
  const fixFault = (f: FaultSpec & { from?: number | string; until?: number | string }): FaultSpec => ({
    ...f,
    ...(f.from !== undefined ? { from: parseDuration(f.from) } : {}),
    ...(f.until !== undefined ? { until: parseDuration(f.until) } : {}),
  });
  for (const m of s.meters ?? []) m.faults = m.faults?.map(fixFault);
  for (const e of s.events ?? []) {
    e.at = parseDuration(e.at);
    if (e.fault) e.fault = fixFault(e.fault);
  }
  s.events?.sort((a, b) => a.at - b.at);
  return s;
}

export function loadScenario(path: string): Scenario {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new PrepaidError('E_SCENARIO_INVALID', `cannot read scenario ${path}: ${(e as Error).message}`, { path }, { cause: e });
  }
  return parseScenario(text, path);
}

export function unitsOf(u: Units, all: readonly number[]): number[] {
  if (u === 'all') return [...all];
  return typeof u === 'number' ? [u] : u;
}
