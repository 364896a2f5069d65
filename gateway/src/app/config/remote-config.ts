/**
 * Remote configuration: a signed `config` command (docs/mqtt.md, "Remote configuration") is checked
 * like `config check`, put on trial and applied with a hot reload (Gateway.reconfigure); it is kept
 * only once the gateway has reached its broker within the trial period, else the previous
 * configuration is put back. The trial is a file beside the config file, written (atomic rename)
 * before anything changes, so a crash or a kill during the trial rolls back on the next start.
 *
 * Precedence: `run --mqtt/--db` flags win over the config file; the config file is the only place
 * a configuration lives, and the gateway writes an accepted one back to it (atomic rename, YAML
 * without the comments). `<config>.trial.json` exists only while a new configuration is on trial.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import YAML from 'yaml';
import { PrepaidError, type Clock } from '@prepaid-edge/protocols';
import type { GatewayConfig } from '../../core/config/gateway-config.js';
import type { ConfigCommand } from '../../core/commands/shape.js';
import type { JsonValue } from '../../core/commands/canonical-json.js';
import { configChanges, configHash, mergePatch, type ConfigDocument } from '../../core/config/remote-config.js';
import type { ConfigureCommand } from '../../adapters/credit/command-processor.js';
import type { NewEvent } from '../../core/model.js';
import type { Logger } from '../../adapters/log.js';
import type { Uplink } from '../../adapters/uplink/index.js';
import type { NewAuditEntry } from '../../adapters/store/ledger/index.js';
import { parseConfig, type ConfigOverrides } from './load-config.js';

export interface ActiveConfig {
  version: number;
  hash: string;
}

/** What the start found of a trial the last run did not finish (recoverTrial). */
export interface RecoveredTrial {
  outcome: 'rolled-back' | 'confirmed';
  command: string;
  version: number;
  hash: string;
  /** The configuration in force now. */
  active: ActiveConfig;
}

export interface RemoteConfigOptions {
  /** The config file the gateway was started from (checked against, written back to). */
  file: string;
  overrides: ConfigOverrides;
  recovered?: RecoveredTrial;
}

/** What the gateway offers the trial: its running configuration, the hot reload, its uplink, events and audit. */
export interface ReloadableGateway {
  readonly config: GatewayConfig;
  readonly clock: Clock;
  readonly log: Logger;
  readonly link: Uplink;
  reconfigure(next: GatewayConfig): Promise<unknown>;
  raise(e: NewEvent): void;
  audit(entry: NewAuditEntry): Promise<void>;
}

interface TrialRecord {
  state: 'trial' | 'confirmed';
  command: string;
  startedAt: number;
  trialMs: number;
  previous: { version: number; hash: string; doc: ConfigDocument };
  next: { version: number; hash: string; doc: ConfigDocument };
}

export const trialFile = (file: string): string => `${file}.trial.json`;

/** The configuration as written: the YAML parsed to JSON, before defaults. */
export function readDocument(file: string): ConfigDocument {
  const doc = YAML.parse(readFileSync(file, 'utf8')) as unknown;
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new PrepaidError('E_CONFIG_INVALID', `${file}: must be a mapping`, { path: '(root)', source: file });
  return JSON.parse(JSON.stringify(doc)) as ConfigDocument;
}

export function activeOf(doc: ConfigDocument): ActiveConfig {
  return { version: typeof doc.configVersion === 'number' ? doc.configVersion : 0, hash: configHash(doc) };
}

/** Write, fsync, rename over, fsync the directory: the file is the old one or the new one, never half. */
export function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  // The file keeps its mode (a config file may hold the MQTT password: 0640 stays 0640).
  const mode = existsSync(path) ? statSync(path).mode & 0o777 : 0o600;
  const fd = openSync(tmp, 'w', mode);
  try {
    writeFileSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  try {
    const dir = openSync(dirname(path), 'r');
    fsyncSync(dir);
    closeSync(dir);
  } catch {
    // Some file systems cannot fsync a directory; the rename itself is atomic.
  }
}

function documentText(doc: ConfigDocument): string {
  return `# Written by prepaid-gateway: configuration version ${String(doc.configVersion ?? 0)} (remote configuration; comments are not kept)\n${YAML.stringify(doc)}`;
}

/**
 * Before the config file is loaded: finish what the last run left. A trial still on means the
 * gateway stopped (crash, kill, power cut) before it was confirmed: the previous configuration is
 * put back. A confirmed one whose write-back may not have happened is written again.
 */
export function recoverTrial(file: string): RecoveredTrial | undefined {
  const path = trialFile(file);
  if (!existsSync(path)) return undefined;
  const rec = JSON.parse(readFileSync(path, 'utf8')) as TrialRecord;
  const keep = rec.state === 'confirmed' ? rec.next : rec.previous;
  let current: string | undefined;
  try {
    current = configHash(readDocument(file));
  } catch {
    current = undefined;
  }
  if (current !== keep.hash) writeAtomic(file, documentText(keep.doc));
  unlinkSync(path);
  return { outcome: rec.state === 'confirmed' ? 'confirmed' : 'rolled-back', command: rec.command, version: rec.next.version, hash: rec.next.hash, active: { version: keep.version, hash: keep.hash } };
}

/** `meters[2].unit: is required; mqtt.url: ...` from a config error, paths relative to the document. */
function problemsOf(e: unknown): string {
  const problems = (e as PrepaidError).context?.problems as Array<{ path: string; message: string }> | undefined;
  if (problems?.length) return problems.map((p) => `${p.path}: ${p.message}`).join('; ');
  return (e as Error).message;
}

type Refusal = { ok: false; reason: string; message: string };
const refuse = (reason: string, message: string): Refusal => ({ ok: false, reason, message });

export class RemoteConfig {
  active: ActiveConfig;
  private doc: ConfigDocument;
  private trial: { rec: TrialRecord; until: number; settle?: () => void } | undefined;
  private stopped = false;
  /** From an accepted command until its confirmation or rollback is done: another one is refused. */
  private busy: { version: number; until: number } | undefined;

  constructor(
    private readonly gw: ReloadableGateway,
    private readonly opts: RemoteConfigOptions,
  ) {
    this.doc = readDocument(opts.file);
    this.active = activeOf(this.doc);
  }

  /** The configuration running now (a new one on trial counts), for the status message. */
  info(): ActiveConfig & { trial?: ActiveConfig & { untilMs: number } } {
    const t = this.trial;
    return t ? { version: t.rec.next.version, hash: t.rec.next.hash, trial: { version: t.rec.next.version, hash: t.rec.next.hash, untilMs: t.until } } : { ...this.active };
  }

  /** After the gateway started: the outcome of a trial the last run left, as an event and an audit row. */
  async started(): Promise<void> {
    const r = this.opts.recovered;
    if (!r) return;
    const type = r.outcome === 'rolled-back' ? 'config-rolled-back' : 'config-applied';
    const data = { command: r.command, version: r.version, hash: r.hash, active: r.active.version, activeHash: r.active.hash, ...(r.outcome === 'rolled-back' ? { reason: 'the gateway stopped during the trial' } : {}) };
    this.gw.log.warn(data, type === 'config-rolled-back' ? 'configuration on trial rolled back at start' : 'configuration confirmed at start');
    this.gw.raise({ ts: this.gw.clock.now(), type, data });
    await this.audit({ ts: this.gw.clock.now(), action: type, cause: 'start', detail: data });
  }

  /** Checks of a `config` command (processor step "apply"); the trial is persisted before it returns ok. */
  readonly command: ConfigureCommand = async (cmd) => this.prepare(cmd);

  private prepare(cmd: ConfigCommand): ReturnType<ConfigureCommand> extends Promise<infer R> ? R : never {
    if (this.busy) return refuse('E_CONFIG_BUSY', `version: ${this.busy.version} is on trial until ${new Date(this.busy.until).toISOString()}; send a new command after that`);
    if (cmd.base !== this.active.hash) return refuse('E_CONFIG_BASE', `base: ${cmd.base} is not the active configuration (version ${this.active.version}, ${this.active.hash})`);
    if (cmd.version <= this.active.version) return refuse('E_COMMAND_EXPIRED', `version: ${cmd.version} is not newer than the active version ${this.active.version}: stale`);
    const merged = cmd.config ? (JSON.parse(JSON.stringify(cmd.config)) as JsonValue) : mergePatch(this.doc, cmd.patch as JsonValue);
    if (!merged || typeof merged !== 'object' || Array.isArray(merged)) return refuse('E_CONFIG_INVALID', `${cmd.config ? 'config' : 'patch'}: must give a mapping`);
    const doc: ConfigDocument = { ...merged, configVersion: cmd.version };
    let next: GatewayConfig;
    try {
      next = parseConfig(JSON.stringify(doc), this.opts.file, this.opts.overrides);
    } catch (e) {
      return refuse('E_CONFIG_INVALID', problemsOf(e));
    }
    if (!next.credit?.keys.length) return refuse('E_CONFIG_INVALID', 'credit.keys: a remote configuration must keep at least one command key (no further command could reach this gateway)');
    const fixed = configChanges(this.gw.config, next).restartOnly;
    if (fixed.length) return refuse('E_CONFIG_INVALID', `${fixed[0]}: cannot change while the gateway runs (${fixed.join(', ')}: edit the file and restart)`);
    const trialMs = this.gw.config.remoteConfig?.trialMs ?? 120_000;
    const rec: TrialRecord = {
      state: 'trial',
      command: cmd.id,
      startedAt: this.gw.clock.now(),
      trialMs,
      previous: { ...this.active, doc: this.doc },
      next: { version: cmd.version, hash: configHash(doc), doc },
    };
    try {
      writeAtomic(trialFile(this.opts.file), JSON.stringify(rec));
    } catch (e) {
      return refuse('E_STORE_WRITE', `config: cannot persist the trial beside ${this.opts.file}: ${(e as Error).message}`);
    }
    const previous = this.gw.config;
    this.busy = { version: cmd.version, until: rec.startedAt + trialMs };
    const detail = { version: rec.next.version, hash: rec.next.hash, previous: rec.previous.version, trialMs };
    return {
      ok: true,
      detail,
      // After the command's result is published (on the uplink that may be about to go).
      apply: () =>
        void this.gw.clock.setTimeout(
          () =>
            void this.run(rec, next, previous)
              .catch((e: Error) => this.gw.log.error({ err: e.message }, 'remote configuration failed'))
              .finally(() => (this.busy = undefined)),
          0,
        ),
      // Not recorded (the ledger failed): as if it never came.
      abort: () => {
        this.busy = undefined;
        rmSync(trialFile(this.opts.file), { force: true });
      },
    };
  }

  private async run(rec: TrialRecord, next: GatewayConfig, previous: GatewayConfig): Promise<void> {
    const { gw } = this;
    const until = gw.clock.now() + rec.trialMs;
    this.trial = { rec, until };
    gw.raise({ ts: gw.clock.now(), type: 'config-trial', data: { command: rec.command, version: rec.next.version, hash: rec.next.hash, previous: rec.previous.version, trialMs: rec.trialMs } });
    try {
      await gw.reconfigure(next);
    } catch (e) {
      gw.log.error({ err: (e as Error).message, version: rec.next.version }, 'applying the new configuration failed');
      return this.rollback(rec, previous, `applying failed: ${(e as Error).message}`);
    }
    if (this.stopped) return;
    const link = gw.link;
    const outcome = await new Promise<'connected' | 'timeout'>((resolve) => {
      const done = (o: 'connected' | 'timeout'): void => {
        link.off('connected', onConnected);
        gw.clock.clearTimeout(timer);
        resolve(o);
      };
      const onConnected = (): void => done('connected');
      const timer = gw.clock.setTimeout(() => done('timeout'), Math.max(0, until - gw.clock.now()));
      this.trial!.settle = () => done('timeout');
      link.on('connected', onConnected);
      if (link.state().connected) done('connected');
    });
    if (this.stopped) return;
    if (outcome === 'timeout') return this.rollback(rec, previous, `not connected to the broker within ${rec.trialMs} ms`);
    try {
      await this.confirm(rec);
    } catch (e) {
      // Not kept where a restart finds it: not kept at all.
      gw.log.error({ err: (e as Error).message, file: this.opts.file }, 'cannot write the new configuration back');
      await this.rollback(rec, previous, `cannot write the configuration back: ${(e as Error).message}`);
    }
  }

  private async confirm(rec: TrialRecord): Promise<void> {
    const { gw } = this;
    const file = this.opts.file;
    writeAtomic(trialFile(file), JSON.stringify({ ...rec, state: 'confirmed' }));
    writeAtomic(file, documentText(rec.next.doc));
    unlinkSync(trialFile(file));
    this.doc = rec.next.doc;
    this.active = { version: rec.next.version, hash: rec.next.hash };
    this.trial = undefined;
    gw.link.setConfig(this.active);
    const data = { command: rec.command, version: rec.next.version, hash: rec.next.hash, previous: rec.previous.version };
    gw.log.info(data, 'new configuration confirmed and written back');
    gw.raise({ ts: gw.clock.now(), type: 'config-applied', data });
    await this.audit({ ts: gw.clock.now(), action: 'config-applied', cause: `command:${rec.command}`, detail: data });
  }

  private async audit(entry: NewAuditEntry): Promise<void> {
    await this.gw.audit(entry).catch((e: Error) => this.gw.log.error({ err: e.message, action: entry.action }, 'cannot write the audit row'));
  }

  private async rollback(rec: TrialRecord, previous: GatewayConfig, reason: string): Promise<void> {
    const { gw } = this;
    this.trial = undefined;
    const data = { command: rec.command, version: rec.next.version, hash: rec.next.hash, active: rec.previous.version, activeHash: rec.previous.hash, reason };
    gw.log.warn(data, 'new configuration rolled back');
    try {
      await gw.reconfigure(previous);
    } catch (e) {
      gw.log.error({ err: (e as Error).message }, 'rolling back failed: restart the gateway (the file holds the previous configuration)');
    }
    // The file holds the previous configuration (written back only on confirmation, and put back here
    // if a failed confirmation got that far); then the trial goes.
    try {
      if (configHash(readDocument(this.opts.file)) !== rec.previous.hash) writeAtomic(this.opts.file, documentText(rec.previous.doc));
      rmSync(trialFile(this.opts.file), { force: true });
    } catch (e) {
      gw.log.error({ err: (e as Error).message, file: this.opts.file }, 'cannot restore the config file: the next start rolls back from the trial file');
    }
    gw.link.setConfig(this.active);
    gw.raise({ ts: gw.clock.now(), type: 'config-rolled-back', data });
    await this.audit({ ts: gw.clock.now(), action: 'config-rolled-back', cause: `command:${rec.command}`, detail: data });
  }

  /** A clean stop during a trial leaves the trial file: the next start rolls it back. */
  stop(): void {
    this.stopped = true;
    this.trial?.settle?.();
  }
}
