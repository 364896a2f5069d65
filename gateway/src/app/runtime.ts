/**
 * The gateway process: config -> outbox (SQLite) <- acquisition (buses, meters)
 *                                  outbox -> uplink (MQTT).
 * Acquisition never waits on the uplink; the uplink only ever reads what is committed.
 */
import { PrepaidError, every, systemClock, type Clock } from '@prepaid-edge/protocols';
import type { GatewayConfig } from '../core/config/gateway-config.js';
import { Acquisition, type AcquisitionDeps } from '../adapters/acquisition/index.js';
import type { NewEvent, Outbox } from '../core/model.js';
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

export type { GatewayStatus } from '../adapters/web/gateway-status.js';

export interface GatewayOptions {
  log: Logger;
  /** Wall and monotonic time and every timer: outbox, acquisition, uplink, health (default: the system clock). */
  clock?: Clock;
  /** Inject a Modbus master per bus (tests). */
  master?: AcquisitionDeps['master'];
  /** Web console knobs (tests: history bucket, scan engine). */
  console?: ConsoleOptions;
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
  readonly clock: Clock;
  private readonly now: () => number;
  private readonly monotonic: () => number;
  private startedMono = 0;
  startedAt = 0;

  constructor(
    readonly config: GatewayConfig,
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
    const uplink = createUplink({ cfg: config.mqtt, gatewayId: config.gateway.id, outbox, log, version: VERSION, clock: this.clock, ...(spbOnly ? { readings: false } : {}) });
    this.uplink = uplink;
    if (config.sparkplug) {
      const { EdgeNode, bdSeqPath } = await import('../adapters/sparkplug/index.js');
      const node = new EdgeNode({ mqtt: config.mqtt, sparkplug: config.sparkplug, bdSeqFile: bdSeqPath(config.storage.path), version: VERSION, log, clock: this.clock, commands: Boolean(config.credit), outbox });
      this.sparkplug = node;
      // Readings reach it from the outbox (committed, durable); events straight from acquisition.
      this.observers.add({ event: (e) => node.event(e) });
      // A DCMD that is not a signed envelope for its meter is answered on the JSON results topic, like any rejected command.
      node.on('rejected', (_topic: string, message: string, id: string | null) =>
        uplink.publishResult(resultPayload({ status: 'rejected', id, reason: 'E_SPARKPLUG_COMMAND', message }, this.now())),
      );
    }
    if (config.credit) {
      // Loaded only when configured: the credit engine and johnny-five cost ~8 MB of heap (footprint bench).
      const { CreditRuntime } = await import('../adapters/credit/credit-runtime.js');
      const boards = config.boards.length > 0 ? await (await import('../adapters/relay/boards.js')).openBoards(config.boards, this.clock) : new Map();
      this.credit = await CreditRuntime.start({
        config,
        acquisition: this.acquisition,
        boards,
        uplink: {
          onCommand: (h) => {
            uplink.on('command', (_topic, payload) => h(payload));
            this.sparkplug?.on('command', (payload: Buffer) => h(payload));
          },
          publishResult: (p) => uplink.publishResult(p),
          publishCredit: (m, c) => uplink.publishCredit(m, c),
        },
        event: (e) => this.onEvent(e),
        log,
        clock: this.clock,
        ledgerStream: {
          publisher: uplinkPublisher(uplink),
          gatewayId: config.gateway.id,
          topic: topicsFor(config.mqtt.topicPrefix, config.gateway.id).ledger,
          batchSize: config.mqtt.batchSize,
          inflight: config.mqtt.inflight,
        },
      });
    }
    if (this.credit) {
      const { LedgerVerifier } = await import('../adapters/store/ledger/index.js');
      this.ledgerVerifier = new LedgerVerifier(this.credit.ledger, this.clock, log);
      this.ledgerVerifier.start();
    }
    this.frozen = await (await import('./frozen.js')).frozenKeeper(config, { outbox, log, ...(this.credit ? { balance: (m: string) => this.credit!.ledger.account(m).then((a) => a?.balance) } : {}) });
    if (config.rating && this.credit) this.rating = await (await import('../adapters/rating/rating-runtime.js')).startRating(config, this.credit, { clock: this.clock, log, event: (e) => this.onEvent(e) });
    this.meterEvents = (await import('./meter-events.js')).meterEventWalker(config, this.acquisition, {
      clock: this.clock,
      log,
      outbox: this.outbox,
      event: (e) => this.onEvent(e),
      stored: (e) => this.onStoredEvent(e),
    });
    await this.meterEvents?.start();
    if (config.anomaly) {
      const { AnomalyWatch, anomalyStatePath } = await import('../adapters/anomaly/index.js');
      this.anomaly = new AnomalyWatch({ config: config.anomaly, zone: config.gateway.timezone, clock: this.clock, log, event: (e) => this.onEvent(e), stateFile: anomalyStatePath(config.storage.path) });
      this.anomaly.start();
    }
    this.acquisition.start();
    this.meterClocks = (await import('./meter-clocks.js')).meterClockKeeper(config, this.acquisition, { clock: this.clock, log, event: (e) => this.onEvent(e) });
    this.meterClocks?.start();
    await this.uplink.start();
    this.sparkplug?.start();
    // Loaded only when configured, like credit (fastify and prom-client).
    if (config.console) this.console = await (await import('../adapters/web/console-server.js')).startConsole(this, config.console, this.opts.console);
    this.stopHealth = every(this.clock, config.mqtt.healthIntervalMs, () => this.publishHealth(), { unref: true });
    log.info({ buses: config.buses.length, meters: config.meters.length, db: config.storage.path }, 'gateway started');
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
    this.stopHealth?.();
    await this.console?.close();
    await this.meterClocks?.stop();
    await this.meterEvents?.stop();
    this.anomaly?.stop();
    await this.acquisition?.stop();
    await Promise.all(this.pendingWrites);
    await this.ledgerVerifier?.stop();
    await this.rating?.stop();
    await this.credit?.stop();
    await this.outbox?.appendEvent({ ts: this.now(), type: 'gateway-stopped', data: { reason } }).catch(() => undefined);
    await this.sparkplug?.stop();
    await this.uplink?.stop();
    await this.outbox?.close();
    this.log.info({ reason }, 'gateway stopped');
  }
}
