/**
 * Signed commands from the utility (MQTT `{prefix}/{gw}/commands`), applied exactly once.
 *
 * Order of work for one message (commands are handled one at a time, in arrival order):
 * 1. parseCommand: size, JSON, fields, key, signature, validity window, meter, amount (commands/).
 * 2. A command whose signature verified and whose id was seen before gets `duplicate` with the
 *    original outcome, whether the first one was applied or rejected, and however late it comes.
 * 3. Rejections are only remembered for authenticated commands: otherwise anyone could burn a
 *    real command's id by sending a forged one first.
 * 4. Top-ups and tokens are booked by the ledger in the same transaction as the command id, so a
 *    crash between "applied" and "remembered" cannot happen.
 */
import type { KeyObject } from 'node:crypto';
import type { Clock } from '@prepaid-edge/protocols';
import type { CommandOutcome, Policy, Tariff, TariffVersion } from '../../core/credit/contracts.js';
import { checkTarget, loadPublicKeys, rejectionOutcome, verifyCommand, type CommandRejection, type CommandTargetFacts, type ConfigCommand, type ValidCommand } from '../../core/commands/index.js';
import { defaultTopUpUnits } from '../commands/top-up-limit.js';
import { parseTariff } from '../../core/tariff/index.js';
import { parsePolicy } from '../../core/policy/index.js';
import { acceptOpenPaygoToken, acceptStsToken } from '../tokens/index.js';
import type { Ledger } from '../store/ledger/index.js';
import type { CreditConfig } from '../../core/config/gateway-config.js';
import type { CreditEngine } from './credit-engine.js';
import { applyAccountCommand } from './account-commands.js';

export interface CommandProcessorDeps {
  config: CreditConfig;
  engine: CreditEngine;
  ledger: Ledger;
  clock: Clock;
  /** The meter is in the configuration's `meters:` (account-open); default: any meter. */
  meterConfigured?: (meter: string) => boolean;
  /** Signed `config` commands (app/config/remote-config-runtime.ts); absent: refused as malformed. */
  configure?: ConfigureCommand;
}

/**
 * Check a config command against the running configuration and put it on trial (persisted); `apply`
 * then swaps it in, after the command's result is published. A refusal names the field at fault.
 */
export type ConfigureCommand = (cmd: ConfigCommand) => Promise<{ ok: true; detail: Record<string, unknown>; apply: () => void; abort: () => void } | { ok: false; reason: string; message: string }>;

function problemOf(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (e) {
    const ctx = (e as { context?: { path?: string } }).context;
    const msg = (e as Error).message.split('\n').find((l) => l.trim().length > 0 && !/invalid/i.test(l)) ?? (e as Error).message;
    return ctx?.path ? `${ctx.path}: ${msg.replace(/^\s*[^:]*:\s*/, '')}` : msg.trim();
  }
}

const TOP_UP_DEFAULTS = defaultTopUpUnits();

export class CommandProcessor {
  private readonly keys: Map<string, KeyObject>;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: CommandProcessorDeps) {
    this.keys = loadPublicKeys(deps.config.keys, 'credit.keys');
  }

  /** Handle one raw message; resolves with the outcome to publish on commands/results. */
  handle(raw: Buffer | string): Promise<CommandOutcome> {
    const p = this.tail.then(() => this.process(raw));
    this.tail = p.catch(() => undefined);
    return p;
  }

  private async process(raw: Buffer | string): Promise<CommandOutcome> {
    const { ledger } = this.deps;
    const parsed = this.check(raw);
    if (!parsed.ok) {
      const rejected = rejectionOutcome(parsed);
      if (!parsed.authenticated || !parsed.id) return rejected;
      const seen = await ledger.commandOutcome(parsed.id);
      if (seen) return { status: 'duplicate', id: parsed.id, original: seen };
      await ledger.recordRejected(parsed.id, 'rejected', rejected);
      if (parsed.reason === 'E_COMMAND_AMOUNT') await this.auditRefusedTopUp(raw, parsed.id, rejected);
      return rejected;
    }
    const cmd = parsed.command;
    const seen = await ledger.commandOutcome(cmd.id);
    if (seen) return seen.status === 'duplicate' ? seen : { status: 'duplicate', id: cmd.id, original: seen };
    return this.apply(cmd);
  }

  /** Parse and verify, then (signature good) look the meter up and check the command against it: core/commands, as data. */
  private check(raw: Buffer | string): { ok: true; command: ValidCommand } | CommandRejection {
    const { engine, config } = this.deps;
    const verified = verifyCommand(raw, {
      keys: this.keys,
      now: this.deps.clock.now(),
      maxSkewMs: config.commands.maxSkewMs,
      maxWindowMs: config.commands.maxLifetimeMs,
      validateTariff: (t) => problemOf(() => parseTariff(t, 'tariff')),
      validatePolicy: (p) => problemOf(() => parsePolicy(p, 'policy')),
    });
    if (!verified.ok) return verified;
    const cmd = verified.command;
    // Move-in: the meter has no account yet (checked in its turn, account-commands.ts).
    if (cmd.type === 'account-open') return { ok: true, command: cmd };
    const target = 'meter' in cmd && cmd.meter !== undefined ? engine.commandTarget(cmd.meter) : undefined;
    const facts: CommandTargetFacts | undefined = target && {
      creditUnit: target.account.creditUnit,
      ...(target.account.currency ? { currency: target.account.currency } : {}),
      subunitsPerUnit: target.subunitsPerUnit,
      policy: target.policy,
      ...(config.commands.maxTopUp !== undefined ? { configuredMaxTopUp: config.commands.maxTopUp } : {}),
      topUpDefaults: TOP_UP_DEFAULTS,
    };
    const problem = checkTarget(cmd, facts, {
      // Accounts bring their own limit; nothing configured and an unlisted currency (config check refuses that): no top-up.
      limits: { maxTopUp: 0 },
      currentActiveFrom: (type, t) => (type === 'tariff' ? engine.activeTariffFrom(t) : engine.activePolicyFrom(t)),
    });
    return problem ?? { ok: true, command: cmd };
  }

  private async apply(cmd: ValidCommand): Promise<CommandOutcome> {
    const { engine } = this.deps;
    const { intake } = engine;
    const source = `command:${cmd.keyId}`;
    switch (cmd.type) {
      case 'topup':
        return intake.topUp(cmd.meter, cmd.amount, { id: cmd.id, type: 'topup', source, detail: { keyId: cmd.keyId, currency: cmd.currency, ...(cmd.note ? { note: cmd.note } : {}) } });
      case 'token':
        return this.token(cmd.id, cmd.meter, cmd.scheme, cmd.token, source);
      case 'points-redeem': {
        const outcome = await intake.redeemPoints(cmd.meter, cmd.points, cmd.id, source);
        // a refusal is remembered too: the same id gets the same answer
        return outcome.status === 'rejected' ? this.deps.ledger.recordRejected(cmd.id, cmd.type, outcome) : outcome;
      }
      case 'emergency-credit': {
        await intake.requestEmergencyCredit(cmd.meter, source);
        return this.remember(cmd, { meter: cmd.meter });
      }
      case 'relay-override': {
        const state = cmd.state === 'auto' ? await engine.override(cmd.meter, null, source) : await engine.override(cmd.meter, { state: cmd.state, until: cmd.until!, by: cmd.keyId }, source);
        return this.remember(cmd, { meter: cmd.meter, readback: state ?? null });
      }
      case 'tariff': {
        const tariff: Tariff = parseTariff(cmd.tariff, 'tariff');
        const target = cmd.meter ? { meter: cmd.meter } : { customerClass: cmd.customerClass! };
        await engine.addTariffVersion(target, { activeFrom: cmd.activeFrom, tariff } satisfies TariffVersion, cmd.id);
        return this.remember(cmd, { ...target, tariff: tariff.id, activeFrom: cmd.activeFrom });
      }
      case 'policy': {
        const policy: Policy = parsePolicy(cmd.policy, 'policy');
        await engine.addPolicyVersion(cmd.customerClass, cmd.activeFrom, policy, cmd.id);
        return this.remember(cmd, { customerClass: cmd.customerClass, policy: policy.id, activeFrom: cmd.activeFrom });
      }
      case 'config': {
        if (!this.deps.configure) return this.refuse(cmd.id, 'E_COMMAND_MALFORMED', 'type: this gateway takes no remote configuration', 'config');
        const plan = await this.deps.configure(cmd);
        if (!plan.ok) return this.refuse(cmd.id, plan.reason, plan.message, 'config');
        const outcome = await this.remember(cmd, plan.detail).catch((e: unknown) => {
          plan.abort();
          throw e;
        });
        plan.apply();
        return outcome;
      }
      default:
        return applyAccountCommand(cmd, { lifecycle: engine.lifecycle, ledger: this.deps.ledger, hasAccount: (m) => engine.has(m), meterConfigured: this.deps.meterConfigured ?? (() => true) });
    }
  }

  /** A refused top-up (over the limit, wrong currency) is in the audit log, like an applied one. */
  private async auditRefusedTopUp(raw: Buffer | string, id: string, outcome: CommandOutcome): Promise<void> {
    const c = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8')) as { meter?: string; amount?: number; currency?: string; keyId?: string };
    const message = outcome.status === 'rejected' ? outcome.message : '';
    await this.deps.ledger.audit({
      ts: this.deps.clock.now(),
      ...(typeof c.meter === 'string' && this.deps.engine.has(c.meter) ? { meter: c.meter } : {}),
      action: 'topup-refused',
      cause: `command:${c.keyId ?? '?'}`,
      detail: { id, reason: 'E_COMMAND_AMOUNT', amount: c.amount ?? null, currency: c.currency ?? null, message },
    });
  }

  private async remember(cmd: ValidCommand, detail: Record<string, unknown>): Promise<CommandOutcome> {
    const outcome: CommandOutcome = { status: 'applied', id: cmd.id, type: cmd.type, ...('meter' in cmd && cmd.meter ? { meter: cmd.meter } : {}), detail };
    return this.deps.ledger.recordOutcome(cmd.id, cmd.type, outcome);
  }

  /** A token entered on the customer's behalf (command) or typed on a meter's keypad. */
  async token(id: string, meter: string, scheme: 'sts' | 'openpaygo', token: string, source: string): Promise<CommandOutcome> {
    const { engine, ledger, clock } = this.deps;
    const target = engine.commandTarget(meter);
    const acct = target?.account;
    if (!target || !acct) return { status: 'rejected', id, reason: 'E_COMMAND_UNKNOWN_METER', message: `meter: no account for "${meter}"` };
    const memory = await ledger.tokenMemory(meter, scheme);
    if (scheme === 'sts') {
      if (!acct.sts) return this.refuse(id, 'E_TOKEN_UNSUPPORTED', `meter: ${meter} has no STS decoder key configured`);
      const res = acceptStsToken({ token, decoderKey: acct.sts.decoderKey, baseDate: acct.sts.baseDate, memory, now: clock.now(), creditUnit: acct.creditUnit, subunitsPerUnit: target.subunitsPerUnit });
      if (!res.ok) return this.refuse(id, res.reason, `token: ${res.message}`);
      if (res.effect.kind === 'credit') return engine.intake.topUp(meter, res.effect.subunits, { id, type: 'token', source, detail: { scheme, tid: res.tid, issuedAt: res.issuedAt } }, { scheme, memory: res.memory });
      if (res.effect.kind === 'clear-tamper') await engine.clearTamper(meter);
      const outcome: CommandOutcome = { status: 'applied', id, type: 'token', meter, detail: { scheme, effect: res.effect.kind, tid: res.tid } };
      return engine.intake.recordToken(meter, id, outcome, { scheme, memory: res.memory }, res.effect.kind);
    }
    if (!acct.openpaygo) return this.refuse(id, 'E_TOKEN_UNSUPPORTED', `meter: ${meter} has no OpenPAYGO key configured`);
    const res = acceptOpenPaygoToken({ token, key: acct.openpaygo.key, startingCode: acct.openpaygo.startingCode, memory, now: clock.now(), restrictedDigits: acct.openpaygo.restrictedDigits });
    if (!res.ok) return this.refuse(id, res.reason as 'E_TOKEN_USED', `token: ${res.message}`);
    const outcome: CommandOutcome = { status: 'applied', id, type: 'token', meter, detail: { scheme, effect: res.effect, count: res.count } };
    return engine.intake.recordToken(meter, id, outcome, { scheme, memory: res.memory }, 'time-credit', res.effect);
  }

  private async refuse(id: string, reason: string, message: string, type: 'token' | 'config' = 'token'): Promise<CommandOutcome> {
    const outcome: CommandOutcome = { status: 'rejected', id, reason, message };
    await this.deps.ledger.recordRejected(id, type, outcome);
    return outcome;
  }
}
