/**
 * The `credit:` section of the gateway configuration: tariffs and policies (data, each validated by
 * its own schema), customer classes that pick one of each, the accounts (one per supply point),
 * the public keys that may sign commands, and command limits. Checked once at start-up; every
 * problem names its path (`credit.accounts[2].class: no class "vip"`).
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import YAML from 'yaml';
import { PrepaidError } from '@prepaid-edge/protocols';
import type { Policy, Tariff, TariffVersion } from '../../core/credit/contracts.js';
import { COMMAND_DEFAULTS, type AccountConfig, type CommandLimits, type CreditConfig } from '../../core/config/gateway-config.js';
import { parseTariff } from '../../core/tariff/index.js';
import { parsePolicy } from '../../core/policy/index.js';
import { topUpLimit } from '../commands/top-up-limit.js';


type Problem = { path: string; message: string };

function invalid(problems: Problem[], source: string): never {
  const first = problems[0]!;
  throw new PrepaidError('E_CONFIG_INVALID', `${source}: invalid configuration\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`, { path: first.path, source, problems });
}

/** `{ file: 'x.json' }` (relative to the config file) or the object itself. */
function inlineOrFile(raw: unknown, baseDir: string, path: string, problems: Problem[]): unknown {
  if (raw && typeof raw === 'object' && !Array.isArray(raw) && Object.keys(raw).length === 1 && typeof (raw as { file?: unknown }).file === 'string') {
    const file = (raw as { file: string }).file;
    const full = isAbsolute(file) ? file : resolve(baseDir, file);
    try {
      const text = readFileSync(full, 'utf8');
      return full.endsWith('.json') ? JSON.parse(text) : YAML.parse(text);
    } catch (e) {
      problems.push({ path: `${path}.file`, message: `cannot read ${full}: ${(e as Error).message.split('\n')[0]}` });
      return undefined;
    }
  }
  return raw;
}

function collect<T>(problems: Problem[], path: string, fn: () => T): T | undefined {
  try {
    return fn();
  } catch (e) {
    const ctx = (e as PrepaidError).context ?? {};
    // The policy and tariff parsers list every problem with its full path: keep them all, not the headline.
    if (Array.isArray(ctx.problems) && ctx.problems.length > 0) {
      for (const p of ctx.problems as Problem[]) problems.push({ path: p.path.startsWith(path) ? p.path : `${path}.${p.path}`, message: p.message });
      return undefined;
    }
    const inner = typeof ctx.path === 'string' && ctx.path ? ctx.path : '';
    const msg = (e as Error).message.replace(/^[^:]*invalid[^:]*:\s*/i, '');
    problems.push({ path: inner.startsWith(path) ? inner : inner ? `${path}.${inner}` : path, message: msg.split('\n')[0] ?? msg });
    return undefined;
  }
}

/**
 * Validate the raw `credit` object. `source` is the config file (for relative `file:` references
 * and messages); `meterIds` are the configured meters, so accounts can only name real ones.
 */
export function parseCreditConfig(raw: unknown, source: string, meterIds: ReadonlySet<string>): CreditConfig | undefined {
  if (raw === undefined || raw === null) return undefined;
  const problems: Problem[] = [];
  const baseDir = source.includes('/') ? dirname(resolve(source)) : process.cwd();
  const r = raw as Record<string, unknown>;

  const tariffs: Record<string, TariffVersion[]> = {};
  for (const [id, value] of Object.entries((r.tariffs as Record<string, unknown>) ?? {})) {
    const path = `credit.tariffs.${id}`;
    const v = inlineOrFile(value, baseDir, path, problems);
    if (v === undefined) continue;
    const list: Array<{ activeFrom: number; tariff: unknown; path: string }> = Array.isArray(v)
      ? v.map((x: { activeFrom?: unknown; tariff?: unknown }, i: number) => ({ activeFrom: typeof x?.activeFrom === 'number' ? x.activeFrom : NaN, tariff: inlineOrFile(x?.tariff, baseDir, `${path}[${i}].tariff`, problems), path: `${path}[${i}]` }))
      : [{ activeFrom: 0, tariff: v, path }];
    const versions: TariffVersion[] = [];
    for (const item of list) {
      if (!Number.isSafeInteger(item.activeFrom)) problems.push({ path: `${item.path}.activeFrom`, message: 'must be an integer (epoch ms)' });
      const t = collect(problems, item.path === path ? path : `${item.path}.tariff`, () => parseTariff(item.tariff, item.path === path ? path : `${item.path}.tariff`));
      if (t) versions.push({ activeFrom: item.activeFrom, tariff: t as Tariff });
    }
    tariffs[id] = versions.sort((a, b) => a.activeFrom - b.activeFrom);
  }

  const policies: Record<string, Policy> = {};
  for (const [id, value] of Object.entries((r.policies as Record<string, unknown>) ?? {})) {
    const path = `credit.policies.${id}`;
    const v = inlineOrFile(value, baseDir, path, problems);
    if (v === undefined) continue;
    const p = collect(problems, path, () => parsePolicy(v, path));
    if (p) policies[id] = p;
  }

  const classes: Record<string, { tariff: string; policy: string }> = {};
  for (const [id, c] of Object.entries((r.classes as Record<string, { tariff: string; policy: string }>) ?? {})) {
    if (!(c.tariff in tariffs) && !problems.some((p) => p.path.startsWith(`credit.tariffs.${c.tariff}`)))
      problems.push({ path: `credit.classes.${id}.tariff`, message: `no tariff "${c.tariff}" (tariffs: ${Object.keys(tariffs).join(', ') || 'none'})` });
    if (!(c.policy in policies) && !problems.some((p) => p.path.startsWith(`credit.policies.${c.policy}`)))
      problems.push({ path: `credit.classes.${id}.policy`, message: `no policy "${c.policy}" (policies: ${Object.keys(policies).join(', ') || 'none'})` });
    classes[id] = { tariff: c.tariff, policy: c.policy };
  }

  const accounts: AccountConfig[] = [];
  const seen = new Map<string, number>();
  ((r.accounts as Array<Record<string, unknown>>) ?? []).forEach((a, i) => {
    const path = `credit.accounts[${i}]`;
    const meter = String(a.meter);
    if (!meterIds.has(meter)) problems.push({ path: `${path}.meter`, message: `no meter "${meter}" in meters` });
    if (seen.has(meter)) problems.push({ path: `${path}.meter`, message: `meter "${meter}" already has an account (credit.accounts[${seen.get(meter)}])` });
    seen.set(meter, i);
    const cls = classes[String(a.class)];
    if (!cls) {
      problems.push({ path: `${path}.class`, message: `no class "${String(a.class)}" (classes: ${Object.keys(classes).join(', ') || 'none'})` });
      return;
    }
    const tariff = tariffs[cls.tariff]?.at(-1)?.tariff;
    const opening = a.openingBalance ?? 0;
    if (!Number.isSafeInteger(opening)) problems.push({ path: `${path}.openingBalance`, message: 'must be an integer number of sub-units' });
    accounts.push({
      meter,
      customer: String(a.customer),
      customerClass: String(a.class),
      creditUnit: tariff?.creditUnit ?? 'currency',
      ...(tariff?.currency ? { currency: tariff.currency } : {}),
      openingBalance: opening as number,
      ...(a.sts ? { sts: a.sts as AccountConfig['sts'] } : {}),
      ...(a.openpaygo ? { openpaygo: a.openpaygo as AccountConfig['openpaygo'] } : {}),
    });
  });

  const keys = ((r.keys as Array<{ keyId: string; publicKey: string }>) ?? []).map((k) => ({ keyId: k.keyId, publicKey: k.publicKey }));
  const keyIds = new Set<string>();
  keys.forEach((k, i) => {
    if (keyIds.has(k.keyId)) problems.push({ path: `credit.keys[${i}].keyId`, message: `duplicate keyId "${k.keyId}"` });
    keyIds.add(k.keyId);
  });
  const commands = { ...COMMAND_DEFAULTS, ...((r.commands as Partial<CommandLimits>) ?? {}) };
  accounts.forEach((a, i) => {
    const cls = classes[a.customerClass]!;
    const tariff = tariffs[cls.tariff]?.at(-1)?.tariff;
    if (!tariff) return;
    const unit = a.creditUnit === 'energy' ? 'energy' : a.currency;
    if (!topUpLimit({ unit, subunitsPerUnit: tariff.subunitsPerUnit, ...(policies[cls.policy] ? { policy: policies[cls.policy]! } : {}), ...(commands.maxTopUp !== undefined ? { configured: commands.maxTopUp } : {}) })) {
      problems.push({ path: `credit.accounts[${i}]`, message: `no default top-up limit for ${unit ?? 'an account without a currency'} (gateway/schema/top-up-limits.json): set credit.commands.maxTopUp or maxTopUp in policy ${cls.policy}` });
    }
  });
  const chargeEveryMs = r.chargeEveryMs ?? 60_000;
  if (!Number.isSafeInteger(chargeEveryMs) || (chargeEveryMs as number) < 0) problems.push({ path: 'credit.chargeEveryMs', message: 'must be a non-negative integer (ms)' });
  if (problems.length) invalid(problems, source);
  return { tariffs, policies, classes, accounts, keys, commands, chargeEveryMs: chargeEveryMs as number };
}
