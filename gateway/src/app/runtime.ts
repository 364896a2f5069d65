/**
 * The gateway process: config -> outbox (SQLite) <- acquisition (buses, meters)
 *                                  outbox -> uplink (MQTT).
 * Acquisition never waits on the uplink; the uplink only ever reads what is committed.
 */
import { PrepaidError, every, systemClock, type Clock } from '@prepaid-edge/protocols';
import type { GatewayConfig } from '../core/config/gateway-config.js';
import { Acquisition, type AcquisitionDeps } from '../adapters/acquisition/index.js';
import type { NewEvent, Outbox } from '../core/model.js';
import type { Ledger, NewAuditEntry } from '../adapters/store/ledger/index.js';
import { openOutbox, type SqliteOutbox } from '../adapters/store/index.js';
import { createUplink, topicsFor, type Uplink } from '../adapters/uplink/index.js';
import { uplinkPublisher } from '../adapters/ledger-stream/index.js';
import type { Logger } from '../adapters/log.js';
import { VERSION } from './version.js';
import type { CreditRuntime } from '../adapters/credit/credit-runtime.js';
import type { RatingRuntime } from '../adapters/rating/rating-runtime.js';
import type { ConsoleOptions, WebConsole } from '../adapters/web/console-server.js';
import type { EdgeNode } from '../adapters/sparkplug/index.js';
import type { MeterClockKeeper } from '../adapters/meter-clock/index.js';
import type { MeterEventWalker } from '../adapters/meter-events/index.js';
import type { FrozenKeeper } from '../adapters/frozen/index.js';
import type { LedgerVerifier, StatementReport } from '../adapters/store/ledger/index.js';
import type { AnomalyWatch } from '../adapters/anomaly/index.js';
import { resultPayload } from '../core/commands/results.js';
import type { GatewayObserver, GatewayStatus } from '../adapters/web/gateway-status.js';
import { configChanges, type ConfigChanges } from '../core/config/remote-config.js';
import type { ConfigCommand } from '../core/commands/shape.js';
import type { RemoteConfig, RemoteConfigOptions } from './config/remote-config.js';

export type { GatewayStatus } from '../adapters/web/gateway-status.js';

export interface GatewayOptions {
  log: Logger;
  /** Wall and monotonic time and every timer: outbox, acquisition, uplink, health (default: the system clock). */
  clock?: Clock;
  /** Inject a Modbus master per bus (tests). */
  master?: AcquisitionDeps['master'];
  /** Web console knobs (tests: history bucket, scan engine). */
  console?: ConsoleOptions;
  /** Signed `config` commands: the config file they are checked against and written back to (app/config/remote-config.ts). */
  remoteConfig?: RemoteConfigOptions;
}

export class Gateway {
  private outbox: SqliteOutbox | undefined;
  private acquisition: Acquisition | undefined;
  private uplink: Uplink | undefined;
  /** Sparkplug B edge node beside the JSON uplink, when the config has `sparkplug:`. */
  sparkplug: EdgeNode | undefined;
  /** Reads, reports and sets the meters' clocks (meterClocks:, on by default). */
  meterClocks: MeterClockKeeper | undefined;
  /** Uploads prepaid meters' own event logs, exactly once (meter-event). */
  meterEvents: MeterEventWalker | undefined;
  /** The ledger replay check at start and daily (with credit), for status and /metrics. */
  ledgerVerifier: LedgerVerifier | undefined;
  /** Daily and monthly frozen readings of every meter (adapters/frozen). */
  frozen: FrozenKeeper | undefined;
  /** Early warning of abnormal use, when the config has `anomaly:`. */
  anomaly: AnomalyWatch | undefined;
  /** Prepaid credit (ledger, rules, relays, commands), when the config has `credit:`. */
  credit: CreditRuntime | undefined;
  /** Credit rating, classes and reminders, when the config has `rating:` (with `credit:`). */
  rating: RatingRuntime | undefined;
  /** Sees every reading and event (the web console's charts, event log and metrics). */
  readonly observers = new Set<GatewayObserver>();
  private console: WebConsole | undefined;
  private stopHealth: (() => void) | undefined;
  private readonly pendingWrites = new Set<Promise<unknown>>();
  /** The credit runtime's command handler; every uplink (and a Sparkplug node) hands its commands here. */
  private commandHandler: ((payload: Buffer) => Promise<unknown>) | undefined;
  /** Commands that arrive while the credit runtime restarts (reconfigure): handed to the new one. */
  private heldCommands: Array<{ payload: Buffer; applied: (p: Promise<unknown>) => void }> | undefined;
  private sparkplugObserver: GatewayObserver | undefined;
  private boards: Map<string, import('johnny-five').Board> = new Map();
  /** Signed `config` commands, trial and rollback (when started from a config file). */
  remote: RemoteConfig | undefined;
  readonly clock: Clock;
  private readonly now: () => number;
  private readonly monotonic: () => number;
  private startedMono = 0;
  startedAt = 0;

  constructor(
    public config: GatewayConfig,
    private readonly opts: GatewayOptions,
  ) {
    this.clock = opts.clock ?? systemClock;
    this.now = () => this.clock.now();
    this.monotonic = () => this.clock.monotonic();
  }

  get log(): Logger {
    return this.opts.log;
  }

  async start(): Promise<void> {
    const { config, log } = this;
    this.startedAt = this.now();
    this.startedMono = this.monotonic();
    // sparkplug.mode instead: the Sparkplug edge node alone delivers readings (beside: both, each with its own delivered mark).
    const spbOnly = config.sparkplug?.mode === 'instead';
    const outbox = await openOutbox(config.storage, { clock: this.clock, ...(config.sparkplug ? { consumers: { json: !spbOnly, sparkplug: true } } : {}) });
    this.outbox = outbox;
    await this.outbox.appendEvent({ ts: this.now(), type: 'gateway-started', data: { version: VERSION } });
    this.acquisition = new Acquisition(config, {
      clock: this.clock,
      // Committed first; only a stored reading is charged.
      reading: (r) => {
        for (const o of this.observers) o.reading?.(r, this.acquisition?.pollers.get(r.meter)?.health);
        this.track(
          this.outbox!.appendReadings([r]).then(() => {
            this.meterEvents?.onReading(r);
            // Awaited with the charge, so a clean stop commits the frozen readings this reading was due.
            const frozen = this.frozen?.onReading(r).catch((err: Error) => log.error({ meter: r.meter, err: err.message }, 'could not freeze a reading'));
            this.anomaly?.onReading(r);
            return Promise.all([frozen, this.credit?.engine.onReading(r)]);
          }),
          'reading',
          r.meter,
        );
      },
      event: (e) => this.onEvent(e),
      ...(this.opts.master ? { master: this.opts.master } : {}),
    });
    await this.startLinks(config);
    if (config.credit) {
      this.boards = config.boards.length > 0 ? await (await import('../adapters/relay/boards.js')).openBoards(config.boards, this.clock) : new Map();
      await this.startCredit(config);
    }
    await this.startCreditJobs(config);
    await this.startFrozen(config);
    await this.startMeterEvents(config);
    await this.startAnomaly(config);
    this.acquisition.start();
    await this.startMeterClocks(config);
    // After the first polls are under way (reading and hashing the file costs ~10-30 ms), before any command can arrive.
    if (this.opts.remoteConfig) {
      this.remote = new (await import('./config/remote-config.js')).RemoteConfig(this, this.opts.remoteConfig);
      this.uplink!.setConfig(this.remote.info());
    }
    await this.uplink!.start();
    this.sparkplug?.start();
    // Loaded only when configured, like credit (fastify and prom-client).
    if (config.console) this.console = await (await import('../adapters/web/console-server.js')).startConsole(this, config.console, this.opts.console);
    this.stopHealth = every(this.clock, config.mqtt.healthIntervalMs, () => this.publishHealth(), { unref: true });
    log.info({ buses: config.buses.length, meters: config.meters.length, db: config.storage.path, ...(this.remote ? { configVersion: this.remote.active.version } : {}) }, 'gateway started');
    await this.remote?.started();
  }

  /** The JSON uplink and (with `sparkplug:`) the edge node, not yet started; both hand commands to the credit runtime. */
  private async startLinks(config: GatewayConfig): Promise<void> {
    const { log } = this;
    const outbox = this.outbox!;
    const spbOnly = config.sparkplug?.mode === 'instead';
    const uplink = createUplink({ cfg: config.mqtt, gatewayId: config.gateway.id, outbox, log, version: VERSION, clock: this.clock, startedAt: this.startedAt, ...(spbOnly ? { readings: false } : {}), ...(this.remote ? { config: this.remote.info() } : {}) });
    this.uplink = uplink;
    uplink.on('command', (_topic, payload, settle) => settle(this.command(payload)));
    if (config.sparkplug) {
      const { EdgeNode, bdSeqPath } = await import('../adapters/sparkplug/index.js');
      const node = new EdgeNode({ mqtt: config.mqtt, sparkplug: config.sparkplug, bdSeqFile: bdSeqPath(config.storage.path), version: VERSION, log, clock: this.clock, commands: Boolean(config.credit), outbox });
      this.sparkplug = node;
      // Readings reach it from the outbox (committed, durable); events straight from acquisition.
      if (this.sparkplugObserver) this.observers.delete(this.sparkplugObserver);
      this.sparkplugObserver = { event: (e) => node.event(e) };
      this.observers.add(this.sparkplugObserver);
      node.on('command', (payload: Buffer) => this.command(payload));
      // A DCMD that is not a signed envelope for its meter is answered on the JSON results topic, like any rejected command.
      node.on('rejected', (_topic: string, message: string, id: string | null) =>
        uplink.publishResult(resultPayload({ status: 'rejected', id, reason: 'E_SPARKPLUG_COMMAND', message }, this.now())),
      );
    }
  }

  /** Settles when the command is applied (the uplink acks it to the broker then). */
  private command(payload: Buffer): Promise<unknown> {
    const held = this.heldCommands;
    if (held) return new Promise((applied) => held.push({ payload, applied }));
    return this.commandHandler?.(payload) ?? Promise.resolve();
  }

  private async startCredit(config: GatewayConfig, ledger?: Ledger): Promise<void> {
    // Loaded only when configured: the credit engine and johnny-five cost ~8 MB of heap (footprint bench).
    const { CreditRuntime } = await import('../adapters/credit/credit-runtime.js');
    this.credit = await CreditRuntime.start({
      config,
      acquisition: this.acquisition!,
      boards: this.boards,
      uplink: {
        onCommand: (h) => (this.commandHandler = h),
        publishResult: (p) => this.uplink?.publishResult(p),
        publishCredit: (m, c) => this.uplink?.publishCredit(m, c),
      },
      event: (e) => this.onEvent(e),
      log: this.log,
      clock: this.clock,
      // The uplink of now: a reload that changes mqtt restarts the credit runtime after the new uplink (reconfigure).
      ledgerStream: {
        publisher: uplinkPublisher(this.uplink!),
        gatewayId: config.gateway.id,
        topic: topicsFor(config.mqtt.topicPrefix, config.gateway.id).ledger,
        batchSize: config.mqtt.batchSize,
        inflight: config.mqtt.inflight,
      },
      ...(this.opts.remoteConfig ? { configure: (cmd: ConfigCommand) => this.remote!.command(cmd) } : {}),
    }, ledger);
  }

  /** What runs on the credit runtime: the daily ledger check, rating and reminders. */
  private async startCreditJobs(config: GatewayConfig): Promise<void> {
    if (!this.credit) return;
    const { LedgerVerifier } = await import('../adapters/store/ledger/index.js');
    this.ledgerVerifier = new LedgerVerifier(this.credit.ledger, this.clock, this.log);
    this.ledgerVerifier.start();
    if (config.rating) this.rating = await (await import('../adapters/rating/rating-runtime.js')).startRating(config, this.credit, { clock: this.clock, log: this.log, event: (e) => this.onEvent(e) });
  }

  private async stopCreditJobs(): Promise<void> {
    await this.ledgerVerifier?.stop();
    await this.rating?.stop();
    this.ledgerVerifier = this.rating = undefined;
  }

  private async startFrozen(config: GatewayConfig): Promise<void> {
    this.frozen = await (await import('./frozen.js')).frozenKeeper(config, { outbox: this.outbox!, log: this.log, ...(this.credit ? { balance: (m: string) => this.credit!.ledger.account(m).then((a) => a?.balance) } : {}) });
  }

  private async startAnomaly(config: GatewayConfig): Promise<void> {
    if (!config.anomaly) return;
    const { AnomalyWatch, anomalyStatePath } = await import('../adapters/anomaly/index.js');
    this.anomaly = new AnomalyWatch({ config: config.anomaly, zone: config.gateway.timezone, clock: this.clock, log: this.log, event: (e) => this.onEvent(e), stateFile: anomalyStatePath(config.storage.path) });
    this.anomaly.start();
  }

  private async startMeterEvents(config: GatewayConfig): Promise<void> {
    this.meterEvents = (await import('./meter-events.js')).meterEventWalker(config, this.acquisition!, {
      clock: this.clock,
      log: this.log,
      outbox: this.outbox!,
      event: (e) => this.onEvent(e),
      stored: (e) => this.onStoredEvent(e),
      act: async (e) => this.credit?.engine.actOnMeterEvent(e),
    });
    await this.meterEvents?.start();
  }

  private async startMeterClocks(config: GatewayConfig): Promise<void> {
    this.meterClocks = (await import('./meter-clocks.js')).meterClockKeeper(config, this.acquisition!, { clock: this.clock, log: this.log, event: (e) => this.onEvent(e) });
    this.meterClocks?.start();
  }

  /**
   * Hot reload to a validated configuration without a restart: only what changed is stopped and
   * started again (configChanges). Buses and meters through Acquisition.reconfigure (an unchanged
   * bus keeps polling); the credit runtime books its pending charges, stops and starts on the same
   * ledger (accounts, keys, tariffs, policies; nothing in the ledger is rewritten, a reading taken
   * meanwhile is charged with the next one from the register, never twice); the uplink and
   * Sparkplug node reconnect when mqtt changed. Restart-only sections are refused before this.
   */
  async reconfigure(next: GatewayConfig): Promise<ConfigChanges & { started: string[]; stopped: string[] }> {
    const ch = configChanges(this.config, next);
    const log = this.log;
    let moved = { started: [] as string[], stopped: [] as string[] };
    if (ch.meterClocks || ch.acquisition) {
      await this.meterClocks?.stop();
      await this.meterEvents?.stop();
      this.meterClocks = this.meterEvents = undefined;
    }
    // The ledger stream publishes on the uplink: new links mean a credit restart on them.
    const restartCredit = ch.credit || (ch.mqtt && Boolean(this.credit));
    const credit = restartCredit ? this.credit : undefined;
    if (restartCredit || ch.rating) await this.stopCreditJobs();
    if (ch.anomaly) {
      this.anomaly?.stop();
      this.anomaly = undefined;
    }
    if (credit) {
      this.heldCommands = [];
      this.commandHandler = undefined;
      this.credit = undefined;
      // The ledger stays open (same object for whatever holds it), only the engine and its jobs restart.
      await credit.stop({ keepLedger: Boolean(next.credit) });
    }
    if (ch.acquisition) moved = await this.acquisition!.reconfigure(next);
    await Promise.all(this.pendingWrites);
    this.config = next;
    if (ch.mqtt) await this.restartLinks(next);
    if (restartCredit && next.credit) await this.startCredit(next, credit?.ledger).finally(() => this.releaseCommands());
    else this.releaseCommands();
    if (restartCredit || ch.rating) await this.startCreditJobs(next);
    if (ch.frozen || restartCredit) await this.startFrozen(next);
    if (ch.anomaly) await this.startAnomaly(next);
    if (ch.meterClocks || ch.acquisition) {
      await this.startMeterEvents(next);
      await this.startMeterClocks(next);
    }
    if (ch.console) {
      await this.console?.close();
      this.console = next.console ? await (await import('../adapters/web/console-server.js')).startConsole(this, next.console, this.opts.console) : undefined;
    }
    if (ch.log) (log as { level?: string }).level = next.log.level;
    log.info({ ...ch, ...moved }, 'configuration reloaded');
    return { ...ch, ...moved };
  }

  private async restartLinks(next: GatewayConfig): Promise<void> {
    const [oldUplink, oldNode] = [this.uplink!, this.sparkplug];
    this.stopHealth?.();
    await oldNode?.stop();
    await oldUplink.stop();
    this.sparkplug = undefined;
    await this.startLinks(next);
    await this.uplink!.start();
    (this.sparkplug as EdgeNode | undefined)?.start();
    this.stopHealth = every(this.clock, next.mqtt.healthIntervalMs, () => this.publishHealth(), { unref: true });
  }

  private releaseCommands(): void {
    const held = this.heldCommands ?? [];
    this.heldCommands = undefined;
    for (const h of held) h.applied(this.command(h.payload));
  }

  /** The uplink, for the trial of a new configuration: is it connected now, and tell when it is. */
  get link(): Uplink {
    return this.uplink!;
  }

  /** An event of the gateway itself (remote configuration): stored and forwarded like any other. */
  raise(e: NewEvent): void {
    this.onEvent(e);
  }

  /** An audit row in the ledger (when credit is configured). */
  async audit(entry: NewAuditEntry): Promise<void> {
    await this.credit?.ledger.audit(entry);
  }

  private onEvent(e: NewEvent): void {
    this.onStoredEvent(e);
    this.track(this.outbox!.appendEvent(e), 'event', e.meter);
    if (e.meter && (e.type === 'comm-lost' || e.type === 'comm-restored')) this.publishHealth(e.meter);
  }

  /** What every event goes through besides its storing (done by the caller). */
  private onStoredEvent(e: NewEvent): void {
    this.log.info({ meter: e.meter, event: e.type, data: e.data }, 'event');
    this.credit?.engine.onEvent(e);
    this.rating?.onEvent(e);
    for (const o of this.observers) o.event?.(e);
  }

  private track(p: Promise<unknown>, what: string, meter?: string): void {
    const t = p.catch((err: Error & { code?: string }) => this.log.error({ meter, code: err.code, err: err.message }, `could not store ${what}`));
    this.pendingWrites.add(t);
    void t.finally(() => this.pendingWrites.delete(t));
  }

  private publishHealth(only?: string): void {
    if (!this.acquisition || !this.uplink) return;
    for (const h of this.acquisition.meterHealth()) if (!only || h.meter === only) this.uplink.publishHealth(h.meter, h);
  }

  async status(): Promise<GatewayStatus> {
    const now = this.now();
    return {
      gateway: this.config.gateway.id,
      version: VERSION,
      startedAt: this.startedAt,
      uptimeMs: Math.round(this.monotonic() - this.startedMono),
      clock: { now, iso: new Date(now).toISOString() },
      buses: this.acquisition?.busHealth() ?? [],
      meters: [...(this.acquisition?.pollers.values() ?? [])].map((p) => ({ ...p.health, latest: p.latest ?? null })),
      outbox: (await this.outbox?.stats()) ?? { readings: 0, readingBytes: 0, events: 0, dropped: 0 },
      uplink: this.uplink!.state(),
      ...(this.meterClocks ? { meterClocks: this.meterClocks.drifts() } : {}),
      ...(this.ledgerVerifier?.last ? { ledgerVerify: { ok: this.ledgerVerifier.last.ok, at: this.ledgerVerifier.last.at, mismatches: this.ledgerVerifier.last.mismatches.length } } : {}),
      ...(this.credit?.stream ? { ledgerStream: this.credit.stream.state() } : {}),
      ...(this.remote ? { config: this.remote.info() } : {}),
      ...(this.credit
        ? {
            credit: (await this.credit.ledger.accounts()).map((a) => ({
              meter: a.meter,
              customer: a.customer,
              balance: a.balance,
              creditUnit: a.creditUnit,
              ...(a.currency ? { currency: a.currency } : {}),
              supply: a.state.supply,
              emergencyInUse: a.state.emergency.inUse,
            })),
          }
        : {}),
    };
  }

  /** A customer statement (ledger statement, GET /api/meters/:id/statement). */
  async statement(meter: string, from: string, to: string): Promise<StatementReport> {
    if (!this.credit) throw new PrepaidError('E_LEDGER_UNKNOWN_ACCOUNT', 'this gateway has no credit section: no ledger accounts', { meter });
    const { readStatement } = await import('../adapters/store/ledger/index.js');
    return readStatement(this.credit.ledger, { meter, from, to, zone: this.config.gateway.timezone });
  }

  /** Clean stop: finish the transaction in flight on each bus, commit, flush the uplink, close the DB. */
  async stop(reason = 'stop'): Promise<void> {
    this.remote?.stop();
    this.stopHealth?.();
    await this.console?.close();
    await this.meterClocks?.stop();
    await this.meterEvents?.stop();
    this.anomaly?.stop();
    await this.acquisition?.stop();
    await Promise.all(this.pendingWrites);
    await this.stopCreditJobs();
    await this.credit?.stop();
    await this.outbox?.appendEvent({ ts: this.now(), type: 'gateway-stopped', data: { reason } }).catch(() => undefined);
    await this.sparkplug?.stop();
    await this.uplink?.stop();
    await this.outbox?.close();
    this.log.info({ reason }, 'gateway stopped');
  }
}
