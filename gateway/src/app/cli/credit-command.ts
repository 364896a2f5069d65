/**
 * `prepaid-gateway topup` and `token --meter ID TOKEN`: a command signed with the technician key
 * (config `technician:`), applied by the running gateway through its control API when reachable
 * (console.listen + a bearer token in PREPAID_GATEWAY_API_TOKEN), otherwise offline: the ledger
 * opened directly and the command run through the credit runtime's CommandProcessor, the same
 * path an MQTT command takes. Offline is refused while the gateway service holds the database.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { Command } from 'commander';
import { PrepaidError, systemClock, type Clock } from '@prepaid-edge/protocols';
import { loadConfig } from '../config/load-config.js';
import type { GatewayConfig } from '../../core/config/gateway-config.js';
import type { CommandOutcome } from '../../core/credit/contracts.js';
import type { AccountConfig } from '../../core/config/gateway-config.js';
import { buildSignedCommand, type SignOptions } from './sign-cli.js';
import { guarded } from './fail.js';
import { ownerPid, postToGateway } from './gateway-api.js';

export const API_TOKEN_ENV = 'PREPAID_GATEWAY_API_TOKEN';

function account(cfg: GatewayConfig, meter: string): AccountConfig {
  if (!cfg.credit) throw new PrepaidError('E_CONFIG_INVALID', 'credit: the configuration has no credit section (no accounts to credit)', { path: 'credit' });
  const a = cfg.credit.accounts.find((x) => x.meter === meter);
  if (!a) throw new PrepaidError('E_CONFIG_INVALID', `--meter: no credit account for meter "${meter}"`, { path: 'meter', meter });
  return a;
}

/** Sign `o` with the technician key named in the config (path relative to the config file). */
export function signAsTechnician(cfg: GatewayConfig, configPath: string, o: Omit<SignOptions, 'keyId'>, now = systemClock.now()): Record<string, unknown> {
  const tech = cfg.technician;
  if (!tech) throw new PrepaidError('E_CONFIG_INVALID', 'technician: the configuration has no technician key (technician: { keyId, privateKeyPath })', { path: 'technician' });
  const keyPath = isAbsolute(tech.privateKeyPath) ? tech.privateKeyPath : resolve(dirname(configPath), tech.privateKeyPath);
  let privateKey: string;
  try {
    privateKey = readFileSync(keyPath, 'utf8');
  } catch (e) {
    throw new PrepaidError('E_CONFIG_INVALID', `technician.privateKeyPath: cannot read ${keyPath}: ${(e as Error).message}`, { path: 'technician.privateKeyPath' }, { cause: e });
  }
  return buildSignedCommand({ ...o, keyId: tech.keyId }, { now, uuid: randomUUID, privateKey }) as unknown as Record<string, unknown>;
}

/** Run a signed command offline: ledger + credit engine + command processor, then close them. */
export async function applyOffline(cfg: GatewayConfig, command: Record<string, unknown>, clock: Clock = systemClock): Promise<CommandOutcome> {
  const pid = ownerPid(cfg.storage.path);
  if (pid !== undefined) {
    throw new PrepaidError('E_STORE_OPEN', `${cfg.storage.path}: the gateway service${pid ? ` (pid ${pid})` : ""} holds the database; apply through it: set console.listen and ${API_TOKEN_ENV}, or use the web console`, { path: cfg.storage.path });
  }
  if (!existsSync(cfg.storage.path)) {
    // The outbox creates the file (the ledger then adds its tables), as the service does.
    const { openOutbox } = await import('../../adapters/store/index.js');
    await (await openOutbox(cfg.storage, { clock })).close();
  }
  const [{ openLedger }, { CreditEngine }, { CommandProcessor }, { createLogger }] = await Promise.all([
    import('../../adapters/store/ledger/index.js'),
    import('../../adapters/credit/credit-engine.js'),
    import('../../adapters/credit/command-processor.js'),
    import('../../adapters/log.js'),
  ]);
  const credit = cfg.credit!;
  const ledger = await openLedger(cfg.storage.path, { clock, synchronous: cfg.storage.synchronous });
  try {
    const engine = new CreditEngine({
      config: credit,
      zone: cfg.gateway.timezone,
      ledger,
      clock,
      log: createLogger({ level: 'warn', gateway: cfg.gateway.id }),
      event: () => undefined,
      publishCredit: () => undefined,
      // Offline the relay is not touched: the service re-evaluates every account when it starts.
      relayFor: () => undefined,
    });
    await engine.start();
    try {
      return await new CommandProcessor({ config: credit, engine, ledger, clock }).handle(JSON.stringify(command));
    } finally {
      await engine.stop();
    }
  } finally {
    await ledger.close();
  }
}

/** Through the running gateway when reachable, else offline. */
async function apply(cfg: GatewayConfig, command: Record<string, unknown>): Promise<{ outcome: CommandOutcome; via: string }> {
  const online = await postToGateway(cfg, '/api/commands', command, process.env[API_TOKEN_ENV]);
  if (online) return { outcome: online as CommandOutcome, via: 'the running gateway' };
  return { outcome: await applyOffline(cfg, command), via: 'offline (ledger)' };
}

function report(outcome: CommandOutcome, via: string): void {
  const o = outcome.status === 'duplicate' ? outcome.original : outcome;
  if (o.status === 'applied') {
    process.stdout.write(`applied ${o.type} ${o.id} for ${o.meter ?? '-'} via ${via}${o.balance !== undefined ? `: balance ${o.balance}` : ''}${outcome.status === 'duplicate' ? ' (duplicate)' : ''}\n`);
    return;
  }
  if (o.status === 'rejected') {
    process.stderr.write(`rejected (${o.reason}): ${o.message}\n`);
    process.exitCode = 1;
  }
}

export function topupCommand(o: { config: string; meter: string; amount: string; note?: string }): Promise<void> {
  return guarded(async () => {
    const cfg = loadConfig(o.config);
    const a = account(cfg, o.meter);
    const currency = a.creditUnit === 'energy' ? 'energy' : a.currency ?? '';
    const cmd = signAsTechnician(cfg, o.config, { type: 'topup', meter: o.meter, amount: o.amount, currency, ...(o.note ? { note: o.note } : {}) });
    const { outcome, via } = await apply(cfg, cmd);
    report(outcome, via);
  });
}

export function tokenCommand(digits: string | undefined, o: { config?: string; meter?: string; scheme?: string }, self: Command): Promise<void> {
  return guarded(async () => {
    if (!o.meter && digits === undefined) {
      self.help();
      return;
    }
    if (!o.meter || !o.config || digits === undefined) throw new PrepaidError('E_CONFIG_INVALID', 'token: enter a token with `token --config FILE --meter ID TOKEN`, or use `token sts|openpaygo ...`', { path: 'meter' });
    const cfg = loadConfig(o.config);
    const a = account(cfg, o.meter);
    const token = digits.replace(/[\s-]/g, '');
    const scheme = o.scheme ?? (a.sts && token.length === 20 ? 'sts' : a.openpaygo ? 'openpaygo' : a.sts ? 'sts' : undefined);
    if (!scheme) throw new PrepaidError('E_CONFIG_INVALID', `meter ${o.meter}: its account has no sts or openpaygo keys, so it takes no tokens`, { path: 'credit.accounts', meter: o.meter });
    const cmd = signAsTechnician(cfg, o.config, { type: 'token', meter: o.meter, scheme, token });
    const { outcome, via } = await apply(cfg, cmd);
    report(outcome, via);
  });
}
