/**
 * Store and forward over MQTT. The outbox IS the queue: the uplink reads committed rows oldest
 * first, publishes them QoS 1, and deletes them only after their PUBACK. Nothing is published while
 * disconnected and nothing waits in memory across a connection: on a reconnect (new MQTT.js client)
 * forwarding starts again from the oldest row still in the outbox, paced by the in-flight window.
 */
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { systemClock, type Clock, type TimerHandle } from '@prepaid-edge/protocols';
import type { IClientOptions, MqttClient } from 'mqtt';
import type { MqttConfig } from '../../core/config/gateway-config.js';
import type { Logger } from '../log.js';
import type { Outbox, StoredReading } from '../../core/model.js';
import { backoffDelay } from './backoff.js';
import type { Duplex } from 'node:stream';
import { clientOptions, redactUrl } from './client-options.js';
import { limitIncoming, PacketLimiter } from './packet-limit.js';
import { batchReadings, eventMessage, healthPayload, offlinePayload, onlinePayload, readingsPayload, type StatusInfo } from './payloads.js';
import { topicsFor, type Topics } from './topics.js';
import { FoldedRun } from '../../core/flow/folded-run.js';

// mqtt's own connect module, not the package index: the index also loads the client's browser,
// WebSocket and SOCKS builds, about half of mqtt's load time at every start (docs/benchmarks.md, "Gateway start").
const { default: connect } = createRequire(import.meta.url)('mqtt/lib/connect/index') as typeof import('mqtt/lib/connect/index');

/** Largest MQTT packet taken from the broker (mqtt.maxPacketBytes); a signed command is at most 16 KiB. */
export const DEFAULT_MAX_PACKET_BYTES = 65_536;

export interface UplinkOptions {
  cfg: MqttConfig;
  gatewayId: string;
  /** With `lastReadingId` (the SQLite outbox has it) "historical" means stored before this connection came up; without, read before it. */
  outbox: Outbox & {
    lastReadingId?(): Promise<number>;
    lastEventId?(): Promise<number>;
    /** When the outbox can tell about commits, the uplink waits for them instead of polling every idlePollMs. */
    onCommit?(listener: () => void): () => void;
  };
  log: Logger;
  version: string;
  /** Wall time, monotonic time and every timer of the uplink (default: the system clock). */
  clock?: Clock;
  /** For the reconnect jitter (default Math.random). */
  random?: () => number;
  /** Epoch ms the gateway started, reported in status (default: now() when created). */
  startedAt?: number;
  /** How often to look in the outbox while there is nothing to send (ms, default 200). */
  idlePollMs?: number;
  /** stop() waits at most this long for PUBACKs of messages in flight (ms, default 5000). */
  stopTimeoutMs?: number;
  /** Give up on a connection attempt without CONNACK after this long (ms, default 30000). */
  connectTimeoutMs?: number;
  /** A connection that lasted this long resets the backoff (ms, default 10000). */
  stableAfterMs?: number;
  /**
   * Readings read from the outbox at a time (default max(10000, batchSize * inflight), at most
   * 20000). A backlog of many meters batches well only if each read holds many per meter.
   */
  readAhead?: number;
  /** false (sparkplug.mode instead): no readings on the JSON topics; the Sparkplug edge node delivers them. */
  readings?: boolean;
  /** The active configuration's version and hash, in the status message. */
  config?: { version: number; hash: string };
}

export interface UplinkState {
  connected: boolean;
  /** Epoch ms of the last CONNACK, null before the first. */
  lastConnectedAt: number | null;
  lastDisconnectedAt: number | null;
  /** Why the last connection failed or dropped, null while connected. */
  lastError: string | null;
  /** Outbox messages published and awaiting their PUBACK. */
  inflight: number;
  /** Successful connections since start. */
  connects: number;
  /** Reconnect attempts scheduled after a connection was lost or refused. */
  reconnects: number;
  /** When the next reconnect attempt is due (ms from now), null when not waiting for one. */
  nextReconnectInMs: number | null;
  /** Acknowledged by the broker (PUBACK) since start. */
  published: { readings: number; readingMessages: number; events: number; health: number };
}

export interface UplinkEvents {
  connected: [];
  disconnected: [reason: string];
  /**
   * A message on `{prefix}/{gw}/commands` (signed commands; verified by the credit runtime). A
   * listener that applies it passes its promise to `settle`: the broker gets the PUBACK only when
   * that settles (or after COMMAND_ACK_MAX_MS), so a crash before the command is durable leaves it
   * with the broker, which delivers it again on the next connection (persistent session).
   */
  command: [topic: string, payload: Buffer, settle: (applied: Promise<unknown>) => void];
}

export interface Uplink {
  /** Starts connecting (reads TLS files: E_MQTT_CONFIG if unusable); resolves without waiting for the broker. */
  start(): Promise<void>;
  /** Stops forwarding, waits for in-flight PUBACKs, publishes retained offline status, disconnects cleanly. */
  stop(): Promise<void>;
  state(): UplinkState;
  /** Latest health of a meter: published retained now if connected, and again after every reconnect. */
  publishHealth(meterId: string, health: object): void;
  /** Latest credit of a meter: retained on `meters/{id}/credit`, republished after every reconnect. */
  publishCredit(meterId: string, credit: object): void;
  /** A command result on `commands/results` (QoS 1, not retained; dropped while disconnected: the sender retries and gets `duplicate`). */
  publishResult(payload: string): void;
  /** QoS 1, not retained, on the current connection: true at its PUBACK; false (nothing kept) while disconnected or when the connection drops. */
  publishAcked(topic: string, payload: string): Promise<boolean>;
  /** A new active configuration: in the status message from now on, republished at once if connected. */
  setConfig(config: { version: number; hash: string }): void;
  on<K extends keyof UplinkEvents>(event: K, listener: (...args: UplinkEvents[K]) => void): this;
  off<K extends keyof UplinkEvents>(event: K, listener: (...args: UplinkEvents[K]) => void): this;
}

export function createUplink(opts: UplinkOptions): Uplink {
  return new MqttUplink(opts);
}

/** One message in flight: what to delete from the outbox once the broker has it. */
type Outgoing =
  | { kind: 'readings'; topic: string; payload: string; ids: number[] }
  | { kind: 'event'; topic: string; payload: string; ids: number[] };

const EVENTS_PER_READ = 100;
/**
 * Longest a command's PUBACK waits for its application. Commands take milliseconds; a move-out
 * reads its meter first (seconds). Beyond this the ack goes anyway: MQTT.js handles incoming
 * packets one at a time, and holding them longer would starve keepalive answers and our PUBACKs.
 */
export const COMMAND_ACK_MAX_MS = 10_000;
/** Acknowledged rows are deleted together: when nothing is in flight any more, or once this many wait. */
const DELETE_BATCH = 2000;

class MqttUplink extends EventEmitter implements Uplink {
  private readonly cfg: MqttConfig;
  private readonly topics: Topics;
  private readonly outbox: UplinkOptions['outbox'];
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly status: StatusInfo;
  private readonly startMono: number;
  private readonly idlePollMs: number;
  private readonly stopTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly stableAfterMs: number;
  private readonly readAhead: number;
  /** 0: live readings go at once. Needs the outbox's watermark and commit notices; otherwise 0. */
  private readonly lingerMs: number;
  private readonly sendReadings: boolean;

  private clientOpts: IClientOptions | undefined;
  private client: MqttClient | undefined;
  /** Bumped on every new client; callbacks of an older connection are ignored. */
  private gen = 0;
  private connected = false;
  private started = false;
  private stopping = false;
  private stopped: Promise<void> | undefined;
  private attempt = 0;
  private connectedMono = 0;
  private reconnectTimer: TimerHandle | undefined;
  private reconnectDueMono: number | null = null;
  private idleTimer: TimerHandle | undefined;
  private connectTimer: TimerHandle | undefined;

  // Per connection: reset on every connect.
  private readingsCursor = 0;
  private eventsCursor = 0;
  private historicalUpTo: { id: number } | { ts: number } = { id: 0 };
  /** Readings with an id up to this may be read and sent now; later ones linger (see lingerMs). */
  private releasedUpTo = Infinity;
  private lingerTimer: TimerHandle | undefined;
  /** The linger timer fired: release everything committed at the next read. */
  private lingerDue = false;
  private prepared: Outgoing[] = [];
  private readonly inflight = new Map<number, Outgoing>();
  private nextToken = 0;
  private readonly pumpRun = new FoldedRun(() => this.fill(this.gen), {
    onError: (e) => {
      if (this.stopping) return;
      this.log.error({ err: (e as Error).message, code: (e as { code?: unknown }).code }, 'cannot read the outbox; retrying');
      this.idleSoon();
    },
  });

  private readonly deletes = new Set<Promise<void>>();
  private ackedReadings: number[] = [];
  private ackedEvents: number[] = [];
  private unsubscribe: (() => void) | undefined;
  private readonly latestHealth = new Map<string, object>();
  private readonly latestCredit = new Map<string, string>();
  private readonly settledWaiters = new Set<() => void>();
  private readonly st: UplinkState = {
    connected: false,
    lastConnectedAt: null,
    lastDisconnectedAt: null,
    lastError: null,
    inflight: 0,
    connects: 0,
    reconnects: 0,
    nextReconnectInMs: null,
    published: { readings: 0, readingMessages: 0, events: 0, health: 0 },
  };

  constructor(o: UplinkOptions) {
    super();
    this.cfg = o.cfg;
    this.topics = topicsFor(o.cfg.topicPrefix, o.gatewayId);
    this.outbox = o.outbox;
    this.log = o.log.child({ part: 'uplink' });
    this.clock = o.clock ?? systemClock;
    this.random = o.random ?? Math.random;
    this.status = { version: o.version, startedAt: o.startedAt ?? this.clock.now(), ...(o.config ? { config: o.config } : {}) };
    this.startMono = this.clock.monotonic();
    this.idlePollMs = o.idlePollMs ?? 200;
    this.stopTimeoutMs = o.stopTimeoutMs ?? 5000;
    this.connectTimeoutMs = o.connectTimeoutMs ?? 30_000;
    this.stableAfterMs = o.stableAfterMs ?? 10_000;
    this.readAhead = Math.max(1, o.readAhead ?? Math.min(20_000, Math.max(10_000, o.cfg.batchSize * o.cfg.inflight)));
    this.sendReadings = o.readings ?? true;
    this.lingerMs = o.outbox.lastReadingId && o.outbox.onCommit ? Math.max(0, o.cfg.lingerMs ?? 0) : 0;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.clientOpts = clientOptions(this.cfg, { topic: this.topics.status, payload: offlinePayload(this.status, 'connection-lost') }, this.connectTimeoutMs);
    this.started = true;
    this.unsubscribe = this.outbox.onCommit?.(() => this.pump());
    this.connect();
  }

  stop(): Promise<void> {
    this.stopped ??= this.shutdown();
    return this.stopped;
  }

  state(): UplinkState {
    const due = this.reconnectDueMono;
    return {
      ...this.st,
      connected: this.connected,
      inflight: this.inflight.size,
      nextReconnectInMs: due === null ? null : Math.max(0, Math.round(due - this.clock.monotonic())),
      published: { ...this.st.published },
    };
  }

  publishHealth(meterId: string, health: object): void {
    this.latestHealth.set(meterId, health);
    if (this.connected && !this.stopping) this.sendHealth(this.gen, meterId, health);
  }

  publishCredit(meterId: string, credit: object): void {
    const payload = JSON.stringify(credit);
    this.latestCredit.set(meterId, payload);
    if (this.connected && !this.stopping) void this.publishRaw(this.gen, this.topics.credit(meterId), payload, true);
  }

  setConfig(config: { version: number; hash: string }): void {
    this.status.config = config;
    if (this.connected && !this.stopping) void this.publishRaw(this.gen, this.topics.status, onlinePayload(this.status, this.clock.now(), this.clock.monotonic() - this.startMono), true);
  }

  publishResult(payload: string): void {
    if (this.connected && !this.stopping) void this.publishRaw(this.gen, this.topics.commandResults, payload, false);
  }

  publishAcked(topic: string, payload: string): Promise<boolean> {
    if (this.stopping) return Promise.resolve(false);
    return this.publishRaw(this.gen, topic, payload, false);
  }

  // --- connection -------------------------------------------------------------------------

  private connect(): void {
    this.reconnectDueMono = null;
    const gen = ++this.gen;
    this.log.debug({ url: redactUrl(this.cfg.url), attempt: this.attempt }, 'connecting');
    const client = connect(this.cfg.url, { ...this.clientOpts, manualConnect: true });
    const max = this.cfg.maxPacketBytes ?? DEFAULT_MAX_PACKET_BYTES;
    const limiter = new PacketLimiter(max, (p) => this.log.warn({ topic: p.topic, bytes: p.bytes, maxPacketBytes: max }, 'dropped an MQTT message over mqtt.maxPacketBytes'));
    const streamBuilder = (client as unknown as { streamBuilder: (c: MqttClient) => Duplex }).streamBuilder;
    (client as unknown as { streamBuilder: (c: MqttClient) => Duplex }).streamBuilder = (c) => limitIncoming(streamBuilder(c), limiter);
    client.connect();
    this.client = client;
    // On the injected clock (MQTT.js keeps its own connectTimeout as a backstop).
    this.connectTimer = this.clock.setTimeout(() => {
      this.connectTimer = undefined;
      if (gen !== this.gen || this.connected) return;
      this.st.lastError = `no CONNACK within ${this.connectTimeoutMs} ms`;
      client.end(true);
    }, this.connectTimeoutMs);
    client.on('connect', () => {
      if (gen === this.gen) void this.onConnect(gen);
    });
    client.on('close', () => {
      if (gen === this.gen) this.onClose(client);
    });
    // Commands are dispatched from handleMessage, which MQTT.js calls before it sends a QoS 1
    // PUBACK and waits on: the ack goes once the command is applied (see UplinkEvents.command).
    client.handleMessage = (packet, done) => {
      const topic = packet.topic;
      const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
      if (gen !== this.gen || topic !== this.topics.commands || limiter.isDropped(topic, payload)) return done();
      const applied: Promise<unknown>[] = [];
      this.emit('command', topic, payload, (p: Promise<unknown>) => void applied.push(p));
      if (applied.length === 0) return done();
      let timer: TimerHandle | undefined;
      const late = new Promise<void>((r) => (timer = this.clock.setTimeout(r, COMMAND_ACK_MAX_MS)));
      void Promise.race([Promise.allSettled(applied), late]).then(() => {
        this.clock.clearTimeout(timer);
        done();
      });
    };
    // Always listened to: an 'error' without a listener would crash the process.
    client.on('error', (e: Error) => {
      if (gen !== this.gen) return;
      this.st.lastError = e.message;
      if (!this.connected) this.log.warn({ err: e.message, code: (e as { code?: unknown }).code, attempt: this.attempt }, 'cannot connect to the broker');
      else this.log.warn({ err: e.message }, 'MQTT error');
    });
  }

  private live(gen: number): boolean {
    return gen === this.gen && this.connected;
  }

  private clearConnectTimer(): void {
    this.clock.clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
  }

  private async onConnect(gen: number): Promise<void> {
    this.clearConnectTimer();
    this.connected = true;
    this.connectedMono = this.clock.monotonic();
    this.st.connects++;
    this.st.lastConnectedAt = this.clock.now();
    this.st.lastError = null;
    this.log.info({ url: redactUrl(this.cfg.url), clientId: this.cfg.clientId, connects: this.st.connects }, 'connected to the broker');
    // A persistent session keeps the subscription; subscribing again is harmless and covers a clean
    // one. `online` goes after the SUBACK: a head end that sends a command when it sees the gateway
    // online never sends it before the broker has a subscription to queue it for (the first start).
    this.client?.subscribe(this.topics.commands, { qos: 1 }, (err) => {
      if (gen !== this.gen) return;
      if (err) this.log.error({ err: err.message }, 'cannot subscribe to commands');
      void this.publishRaw(gen, this.topics.status, onlinePayload(this.status, this.clock.now(), this.clock.monotonic() - this.startMono), true);
    });
    for (const [meter, h] of this.latestHealth) this.sendHealth(gen, meter, h);
    for (const [meter, c] of this.latestCredit) void this.publishRaw(gen, this.topics.credit(meter), c, true);
    // Rows acknowledged on the previous connection are being deleted: let that finish, so they
    // are not sent again.
    await Promise.allSettled([...this.deletes]);
    let mark: { id: number } | { ts: number };
    try {
      mark = this.outbox.lastReadingId ? { id: await this.outbox.lastReadingId() } : { ts: this.st.lastConnectedAt };
    } catch (e) {
      mark = { ts: this.st.lastConnectedAt };
      this.log.error({ err: (e as Error).message }, 'cannot read the outbox watermark');
    }
    if (!this.live(gen)) return;
    this.historicalUpTo = mark;
    // The backlog goes at once; what is committed from now on lingers.
    this.clearLinger();
    this.releasedUpTo = this.lingerMs > 0 && 'id' in mark ? mark.id : Infinity;
    this.readingsCursor = 0;
    this.eventsCursor = 0;
    this.prepared = [];
    this.emit('connected');
    this.pump();
  }

  private onClose(client: MqttClient): void {
    const wasConnected = this.connected;
    this.clearConnectTimer();
    this.connected = false;
    this.gen++; // whatever this client still reports is stale from here on
    // In-flight and read-ahead messages are forgotten: their rows are still in the outbox and go
    // again (as historical) after the reconnect. The head end drops duplicates by (gateway, meter, seq).
    this.inflight.clear();
    this.prepared = [];
    this.flushDeletes();
    this.notifySettled();
    client.end(true);
    if (wasConnected) {
      this.st.lastDisconnectedAt = this.clock.now();
      const reason = this.st.lastError ?? 'connection closed';
      this.st.lastError = reason;
      if (this.clock.monotonic() - this.connectedMono >= this.stableAfterMs) this.attempt = 0;
      this.log.warn({ reason }, 'disconnected from the broker');
      this.emit('disconnected', reason);
    } else {
      this.st.lastError ??= 'connection closed before CONNACK';
    }
    if (!this.stopping) this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    const delay = backoffDelay(this.attempt++, this.cfg.reconnectMinMs, this.cfg.reconnectMaxMs, this.random);
    this.st.reconnects++;
    this.reconnectDueMono = this.clock.monotonic() + delay;
    this.log.info({ delayMs: delay, attempt: this.attempt }, 'reconnecting later');
    this.reconnectTimer = this.clock.setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.stopping) this.connect();
    }, delay);
  }

  // --- forwarding -------------------------------------------------------------------------

  /** Fill the in-flight window from the outbox; re-entrant calls fold into the running one. */
  private pump(): void {
    this.pumpRun.trigger();
  }

  private async fill(gen: number): Promise<void> {
    while (this.live(gen) && !this.stopping && this.inflight.size < this.cfg.inflight) {
      if (this.prepared.length === 0) {
        await this.prepareMore(gen);
        if (!this.live(gen)) return;
        if (this.prepared.length === 0) {
          if (!this.outbox.onCommit) this.idleSoon();
          return;
        }
      }
      this.send(gen, this.prepared.shift()!);
    }
  }

  /** Read the next rows after the cursors: events first (few, and they matter), then readings. */
  private async prepareMore(gen: number): Promise<void> {
    // The watermarks are in memory: no query at all when nothing was committed since the last read.
    const lastEvent = this.outbox.lastEventId ? await this.outbox.lastEventId() : Infinity;
    const lastReading = this.outbox.lastReadingId ? await this.outbox.lastReadingId() : Infinity;
    const events = lastEvent > this.eventsCursor ? await this.outbox.pendingEvents(EVENTS_PER_READ, this.eventsCursor) : [];
    const upTo = this.sendReadings ? this.lingerUpTo(gen, lastReading) : 0;
    const readings = upTo > this.readingsCursor ? await this.outbox.pendingReadings(Math.min(this.readAhead, upTo - this.readingsCursor), this.readingsCursor) : [];
    if (!this.live(gen)) return;
    // A frozen reading travels as an outbox event (durable, in order) on its meter's own topic.
    for (const e of events) this.prepared.push({ kind: 'event', ...eventMessage(this.topics, e), ids: [e.id] });
    if (events.length > 0) this.eventsCursor = events.at(-1)!.id;
    if (readings.length === 0) return;
    this.readingsCursor = readings.at(-1)!.id;
    const mark = this.historicalUpTo;
    const historical = 'id' in mark ? (r: StoredReading) => r.id <= mark.id : (r: StoredReading) => r.ts < mark.ts;
    for (const b of batchReadings(readings, this.cfg.batchSize, historical)) {
      this.prepared.push({ kind: 'readings', topic: this.topics.readings(b.meter), payload: readingsPayload(b), ids: b.readings.map((r) => r.id) });
    }
  }

  /**
   * The last reading id that may be sent now. Live readings wait until lingerMs after the first of
   * them was seen, so each message carries several readings of its meter (one publish, one PUBACK,
   * one delete for several polls). A pile of readAhead unreleased readings goes at once.
   */
  private lingerUpTo(gen: number, lastReading: number): number {
    if (lastReading > this.releasedUpTo) {
      if (this.lingerDue || lastReading - this.releasedUpTo >= this.readAhead) {
        this.releasedUpTo = lastReading;
        this.clearLinger();
      } else if (!this.lingerTimer) {
        this.lingerTimer = this.clock.setTimeout(() => {
          this.lingerTimer = undefined;
          if (gen !== this.gen || this.stopping) return;
          this.lingerDue = true;
          this.pump();
        }, this.lingerMs);
      }
    }
    return Math.min(lastReading, this.releasedUpTo);
  }

  private clearLinger(): void {
    this.clock.clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    this.lingerDue = false;
  }

  private idleSoon(): void {
    if (this.idleTimer || this.stopping) return;
    this.idleTimer = this.clock.setTimeout(() => {
      this.idleTimer = undefined;
      this.pump();
    }, this.idlePollMs);
  }

  private send(gen: number, msg: Outgoing): void {
    const client = this.client!;
    // Never hand MQTT.js a message it would queue in memory; the rows stay in the outbox.
    if (!client.connected) return;
    const token = ++this.nextToken;
    this.inflight.set(token, msg);
    client.publish(msg.topic, msg.payload, { qos: 1, retain: false }, (err) => {
      if (gen !== this.gen || !this.inflight.delete(token)) return;
      if (err) {
        // Only a dying connection fails a QoS 1 publish; its close resets everything.
        this.log.warn({ err: err.message, topic: msg.topic }, 'publish failed');
      } else {
        this.acked(msg);
      }
      this.notifySettled();
      this.pump();
    });
  }

  private acked(msg: Outgoing): void {
    if (msg.kind === 'readings') {
      for (const id of msg.ids) this.ackedReadings.push(id);
      this.st.published.readings += msg.ids.length;
      this.st.published.readingMessages++;
    } else {
      for (const id of msg.ids) this.ackedEvents.push(id);
      this.st.published.events++;
    }
    // One delete (one commit) per burst of PUBACKs rather than one per message.
    if (this.inflight.size === 0 || this.ackedReadings.length + this.ackedEvents.length >= DELETE_BATCH) this.flushDeletes();
  }

  private flushDeletes(): void {
    const jobs: Array<[Promise<void>, number]> = [];
    if (this.ackedReadings.length > 0) jobs.push([this.outbox.deleteReadings(this.ackedReadings), this.ackedReadings.length]);
    if (this.ackedEvents.length > 0) jobs.push([this.outbox.deleteEvents(this.ackedEvents), this.ackedEvents.length]);
    this.ackedReadings = [];
    this.ackedEvents = [];
    for (const [p, rows] of jobs) {
      const tracked = p.catch((e: Error & { code?: string }) => this.log.error({ err: e.message, code: e.code, rows }, 'cannot delete acknowledged rows; they will be sent again'));
      this.deletes.add(tracked);
      void tracked.finally(() => this.deletes.delete(tracked));
    }
  }

  private sendHealth(gen: number, meter: string, health: object): void {
    this.publishRaw(gen, this.topics.health(meter), healthPayload(health, this.clock.now()), true, () => this.st.published.health++);
  }

  /** Status and health: retained QoS 1, not from the outbox, so nothing to delete. */
  private publishRaw(gen: number, topic: string, payload: string, retain: boolean, onAck?: () => void): Promise<boolean> {
    const client = this.client;
    if (!client || !this.live(gen) || !client.connected) return Promise.resolve(false);
    return new Promise((resolve) =>
      client.publish(topic, payload, { qos: 1, retain }, (err) => {
        if (!err && gen === this.gen) onAck?.();
        resolve(!err);
      }),
    );
  }

  // --- stop -------------------------------------------------------------------------------

  private notifySettled(): void {
    if (this.inflight.size > 0 && this.connected) return;
    for (const w of this.settledWaiters) w();
    this.settledWaiters.clear();
  }

  private waitSettled(timeoutMs: number): Promise<void> {
    if (this.inflight.size === 0 || !this.connected) return Promise.resolve();
    return new Promise((resolve) => {
      const clock = this.clock;
      const timer = clock.setTimeout(done, timeoutMs);
      const waiters = this.settledWaiters;
      function done(): void {
        clock.clearTimeout(timer);
        waiters.delete(done);
        resolve();
      }
      waiters.add(done);
    });
  }

  private async shutdown(): Promise<void> {
    this.stopping = true;
    this.clock.clearTimeout(this.reconnectTimer);
    this.clock.clearTimeout(this.idleTimer);
    this.clearConnectTimer();
    this.reconnectTimer = this.idleTimer = undefined;
    this.clearLinger();
    this.reconnectDueMono = null;
    const client = this.client;
    if (client && this.connected) {
      await this.waitSettled(this.stopTimeoutMs);
      const offline = this.publishRaw(this.gen, this.topics.status, offlinePayload(this.status, 'stopped', this.clock.now(), this.clock.monotonic() - this.startMono), true);
      await withTimeout(this.clock, offline, this.stopTimeoutMs);
      this.gen++;
      this.connected = false;
      // Messages still unacknowledged (stop timed out) stay in the outbox for the next start; drop
      // them from MQTT.js so it sends DISCONNECT now. A clean DISCONNECT: the broker discards the will.
      for (const id of Object.keys(client.outgoing)) client.removeOutgoingMessage(Number(id));
      const ended = await withTimeout(this.clock, client.endAsync().then(() => true, () => true), this.stopTimeoutMs);
      if (!ended) client.stream?.destroy();
    } else {
      this.gen++;
      this.connected = false;
      client?.end(true);
    }
    this.inflight.clear();
    this.flushDeletes();
    this.unsubscribe?.();
    await Promise.allSettled([...this.deletes]);
    this.log.info({ published: this.st.published }, 'uplink stopped');
  }
}

function withTimeout<T>(clock: Clock, p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: TimerHandle | undefined;
  const t = new Promise<undefined>((resolve) => (timer = clock.setTimeout(() => resolve(undefined), ms)));
  return Promise.race([p, t]).finally(() => clock.clearTimeout(timer));
}
