/**
 * Sparkplug B edge node (Sparkplug 3.0), beside the JSON uplink on its own MQTT connection:
 * - the will is NDEATH (QoS 1, not retained, bdSeq only); bdSeq is persisted and +1 per CONNECT,
 *   so a new MQTT.js client is made for every connection (MQTT.js would reuse the old will);
 * - NCMD/DCMD are subscribed (SUBACK awaited) before NBIRTH (seq 0, bdSeq, node metrics) and one
 *   DBIRTH per meter seen so far, carrying all its metrics;
 * - then DDATA by exception (per-metric deadbands), metrics by alias (births give name and alias); a meter with new metric names is reborn;
 * - a meter's comm-lost event: DDEATH; its next reading: DBIRTH again (dead meters get no DBIRTH
 *   in a new session until they answer);
 * - DCMD: exactly one `Command` String metric whose value is the signed command envelope of the
 *   JSON contract (docs/mqtt.md#commands) for that very meter -> 'command' (verified and executed
 *   by the credit runtime like a JSON command); anything else -> 'rejected' (E_SPARKPLUG_COMMAND);
 * - NCMD `Node Control/Rebirth` = true: NBIRTH and every DBIRTH again, same bdSeq;
 * - with primaryHostId: births wait for the host's STATE `online: true` (retained JSON on
 *   spBv1.0/STATE/{host}); STATE offline after births: NDEATH, disconnect, reconnect with backoff and wait
 *   again; a STATE older than the last one seen is ignored (Sparkplug 3.0 §5.2);
 * - stop(): NDEATH published explicitly (MQTT 3.1.1 sends no will on a clean DISCONNECT).
 * Store and forward, two ways:
 * - with `outbox` (the gateway): readings come from the durable SQLite outbox, not from acquisition
 *   (outbox-feed.ts). Each session reads on from the Sparkplug consumer's delivered cursor; what was
 *   stored before the session (id <= the watermark taken at its start) follows the births as
 *   historical DDATA, in order, original timestamps, QoS 1, and counts as delivered only after its
 *   PUBACK; later readings are live DDATA by exception (QoS 0). Survives broker outages and restarts.
 * - without (a bare node, tests): readings while there is no session are kept in memory (bounded:
 *   `maxHistorical`, oldest dropped and counted) and sent after the next births the same way, QoS 0.
 * Either way the DBIRTHs carry the latest values.
 */
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { systemClock, type Clock, type TimerHandle } from '@prepaid-edge/protocols';
import type { MqttClient } from 'mqtt';
import type { MqttConfig, SparkplugConfig } from '../../core/config/gateway-config.js';
import type { NewEvent, NewReading } from '../../core/model.js';
import {
  deathMetrics,
  decodePayload,
  deviceMetric,
  deviceTopic,
  encodePayload,
  ExceptionFilter,
  AliasTable,
  DataType,
  DEVICE_COMMAND,
  NODE_REBIRTH,
  nodeBirthMetrics,
  nodeTopic,
  SeqCounter,
  stateTopic,
  type Metric,
} from '../../core/sparkplug/index.js';
import type { Logger } from '../log.js';
import { backoffDelay } from '../uplink/backoff.js';
import { clientOptions } from '../uplink/client-options.js';
import { takeBdSeq } from './bdseq-file.js';
import { OutboxFeed, type SparkplugOutbox } from './outbox-feed.js';

const { default: connect } = createRequire(import.meta.url)('mqtt/lib/connect/index') as typeof import('mqtt/lib/connect/index');

export interface EdgeNodeOptions {
  mqtt: MqttConfig;
  sparkplug: SparkplugConfig;
  /** Where bdSeq is kept (bdSeqPath(storage.path)). */
  bdSeqFile: string;
  version: string;
  log: Logger;
  clock?: Clock;
  random?: () => number;
  /** Commands are taken (DBIRTHs declare the `Command` metric); false: every DCMD is rejected. */
  commands?: boolean;
  /** Readings kept while there is no session, sent as historical after the births (default 10000). */
  maxHistorical?: number;
  /** The durable outbox (opened with a Sparkplug consumer): readings come from it, reading() is ignored. */
  outbox?: SparkplugOutbox;
}

export interface EdgeNodeState {
  connected: boolean;
  /** bdSeq of the current (or last) connection; null before the first. */
  bdSeq: number | null;
  births: number;
  published: { ddata: number; metrics: number; historical: number };
  /** Readings waiting for a session, and those dropped because the buffer was full. */
  buffered: number;
  droppedHistorical: number;
}

export class EdgeNode extends EventEmitter {
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly group: string;
  private readonly node: string;
  private readonly filter: ExceptionFilter;
  private readonly seq = new SeqCounter();
  private readonly aliases = new AliasTable();
  /** Latest values per meter (what a DBIRTH carries), in the order meters were first seen. */
  private readonly latest = new Map<string, { ts: number; values: Record<string, number> }>();
  /** Meters whose comm-lost was seen and that have not answered since. */
  private readonly dead = new Set<string>();
  private client: MqttClient | undefined;
  private gen = 0;
  private born = false;
  private hostOnline = false;
  /** Timestamp of the newest STATE seen (across connections): older ones are stale. */
  private lastStateTs = -Infinity;
  private stopping = false;
  private attempt = 0;
  private reconnectTimer: TimerHandle | undefined;
  private st: EdgeNodeState = { connected: false, bdSeq: null, births: 0, published: { ddata: 0, metrics: 0, historical: 0 }, buffered: 0, droppedHistorical: 0 };
  private pending: NewReading[] = [];
  /** Meters with a DBIRTH in this session (since the last NBIRTH). */
  private readonly sessionBorn = new Set<string>();
  private readonly feed: OutboxFeed | undefined;
  /** The connection generation whose births are being prepared (outbox: watermark read first). */
  private starting = 0;

  constructor(private readonly opts: EdgeNodeOptions) {
    super();
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? Math.random;
    this.group = opts.sparkplug.groupId;
    this.node = opts.sparkplug.edgeNodeId;
    this.filter = new ExceptionFilter(opts.sparkplug.deadbands ?? {});
    if (opts.outbox) {
      this.feed = new OutboxFeed(opts.outbox, {
        log: opts.log,
        latest: this.latest,
        filter: this.filter,
        sessionBorn: this.sessionBorn,
        alias: (meter, name) => this.aliases.alias(meter, name),
        deviceBirth: (meter) => this.deviceBirth(meter),
        live: () => this.born && this.client?.connected === true && !this.stopping,
        publish: (topic, p, qos, done) => this.publish(topic, p, qos, done),
        deviceTopic: (type, meter) => deviceTopic(this.group, type, this.node, meter),
        nextSeq: () => this.seq.next(),
        now: () => this.clock.now(),
        inflight: opts.mqtt.inflight,
        counted: (kind, metrics) => {
          if (kind === 'historical') this.st.published.historical++;
          else this.st.published.ddata++;
          this.st.published.metrics += metrics;
        },
      });
    }
  }

  state(): EdgeNodeState {
    return { ...this.st, published: { ...this.st.published }, buffered: this.pending.length };
  }

  start(): void {
    this.feed?.start();
    this.connect();
  }

  /** A reading from acquisition (GatewayObserver): DBIRTH for a new meter, else DDATA by exception. With an outbox: ignored (the outbox feeds the node). */
  reading(r: NewReading): void {
    if (this.feed) return;
    const prev = this.latest.get(r.meter);
    this.latest.set(r.meter, { ts: r.ts, values: { ...prev?.values, ...r.values } });
    const returned = this.dead.delete(r.meter);
    if (!this.born || !this.client) {
      this.pending.push(r);
      if (this.pending.length > (this.opts.maxHistorical ?? 10_000)) {
        this.pending.shift();
        this.st.droppedHistorical++;
      }
      return;
    }
    if (!prev || returned || this.filter.unknown(r.meter, r.values).length > 0) {
      this.deviceBirth(r.meter);
      return;
    }
    const names = this.filter.changed(r.meter, r.values);
    if (names.length === 0) return;
    const metrics = names.map((n) => deviceMetric(this.filter.spec(n), r.values[n]!, r.ts, false, false, this.aliases.alias(r.meter, n)));
    this.publish(deviceTopic(this.group, 'DDATA', this.node, r.meter), { timestamp: this.clock.now(), seq: this.seq.next(), metrics });
    this.st.published.ddata++;
    this.st.published.metrics += metrics.length;
  }

  /** An event from acquisition (GatewayObserver): comm-lost -> DDEATH. */
  event(e: NewEvent): void {
    if (this.feed) return this.feed.event(e);
    if (e.type !== 'comm-lost' || !e.meter || this.dead.has(e.meter)) return;
    this.dead.add(e.meter);
    if (!this.born || !this.client || !this.latest.has(e.meter)) return;
    this.publish(deviceTopic(this.group, 'DDEATH', this.node, e.meter), { timestamp: this.clock.now(), seq: this.seq.next(), metrics: [] });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.reconnectTimer) this.clock.clearTimeout(this.reconnectTimer);
    await this.feed?.stop();
    const c = this.client;
    this.client = undefined;
    this.born = false;
    if (!c) return;
    if (c.connected && this.st.bdSeq !== null) {
      const payload = Buffer.from(encodePayload({ timestamp: this.clock.now(), metrics: deathMetrics(this.st.bdSeq, this.clock.now()) }));
      await new Promise<void>((resolve) => c.publish(nodeTopic(this.group, 'NDEATH', this.node), payload, { qos: 1, retain: false }, () => resolve()));
    }
    await new Promise<void>((resolve) => c.end(false, {}, () => resolve()));
    this.st.connected = false;
  }

  private connect(): void {
    if (this.stopping) return;
    const gen = ++this.gen;
    const bdSeq = takeBdSeq(this.opts.bdSeqFile);
    this.st.bdSeq = bdSeq;
    const will = { topic: nodeTopic(this.group, 'NDEATH', this.node), payload: Buffer.from(encodePayload({ timestamp: this.clock.now(), metrics: deathMetrics(bdSeq, this.clock.now()) })) };
    const base = clientOptions(this.opts.mqtt, { topic: will.topic, payload: '' }, 30_000);
    const client = connect(this.opts.mqtt.url, {
      ...base,
      clientId: `${this.opts.mqtt.clientId}-spb`,
      // Sparkplug 3.0: clean session (3.1.1) / clean start with session expiry 0 (5).
      clean: true,
      ...(this.opts.sparkplug.mqttVersion === 5 ? { protocolVersion: 5, properties: { sessionExpiryInterval: 0 } } : { protocolVersion: 4 }),
      will: { ...will, qos: 1, retain: false },
    });
    this.client = client;
    client.on('connect', () => {
      if (gen !== this.gen) return;
      this.attempt = 0;
      this.st.connected = true;
      this.hostOnline = false;
      void this.onConnect(client, gen);
    });
    client.on('message', (topic, payload) => gen === this.gen && this.onMessage(topic, payload));
    client.on('error', (e) => this.opts.log.warn({ err: e.message }, 'sparkplug connection error'));
    client.on('close', () => {
      if (gen !== this.gen) return;
      const was = this.st.connected;
      this.st.connected = false;
      this.born = false;
      this.feed?.endSession();
      if (was) this.emit('disconnected');
      client.removeAllListeners('connect');
      client.end(true);
      if (this.stopping) return;
      const delay = backoffDelay(this.attempt++, this.opts.mqtt.reconnectMinMs, this.opts.mqtt.reconnectMaxMs, this.random);
      this.reconnectTimer = this.clock.setTimeout(() => this.connect(), delay);
    });
  }

  private async onConnect(client: MqttClient, gen: number): Promise<void> {
    const host = this.opts.sparkplug.primaryHostId;
    const topics = [nodeTopic(this.group, 'NCMD', this.node), `spBv1.0/${this.group}/DCMD/${this.node}/#`, ...(host ? [stateTopic(host)] : [])];
    try {
      await client.subscribeAsync(topics, { qos: 1 });
    } catch (e) {
      this.opts.log.warn({ err: (e as Error).message }, 'sparkplug subscribe failed');
      client.end(true);
      return;
    }
    if (gen !== this.gen) return;
    // With a primary host the retained STATE (if any) arrives after SUBACK and triggers the births.
    if (host && !this.hostOnline) return;
    await this.startSession(client, gen);
  }

  /** Births of a new session; with an outbox, after reading its watermark and the newest stored values. */
  private async startSession(client: MqttClient, gen: number): Promise<void> {
    if (this.starting === gen || this.born) return;
    this.starting = gen;
    try {
      if (this.feed) await this.feed.beginSession();
    } catch (e) {
      this.opts.log.error({ err: (e as Error).message }, 'sparkplug: cannot read the outbox; reconnecting');
      client.end(true);
      return;
    } finally {
      this.starting = 0;
    }
    if (gen !== this.gen || !client.connected || this.born || this.stopping) return;
    this.births();
    this.emit('born', this.st.bdSeq);
    this.feed?.pump();
  }

  private onState(payload: Buffer): void {
    let s: { online?: unknown; timestamp?: unknown };
    try {
      s = JSON.parse(payload.toString('utf8')) as typeof s;
    } catch {
      s = {};
    }
    if (typeof s.online !== 'boolean' || typeof s.timestamp !== 'number') {
      this.opts.log.warn({ host: this.opts.sparkplug.primaryHostId }, 'sparkplug STATE ignored: not {online, timestamp}');
      return;
    }
    if (s.timestamp < this.lastStateTs) return;
    this.lastStateTs = s.timestamp;
    this.hostOnline = s.online;
    if (s.online && !this.born && this.client?.connected) {
      void this.startSession(this.client, this.gen);
    } else if (!s.online && this.born && this.client?.connected) {
      // Only a host that went away during this session: a retained offline STATE at connect just means wait.
      this.opts.log.info({ host: this.opts.sparkplug.primaryHostId }, 'sparkplug primary host offline: disconnecting');
      const c = this.client;
      const bdSeq = this.st.bdSeq!;
      this.born = false;
      this.feed?.endSession();
      c.publish(nodeTopic(this.group, 'NDEATH', this.node), Buffer.from(encodePayload({ timestamp: this.clock.now(), metrics: deathMetrics(bdSeq, this.clock.now()) })), { qos: 1, retain: false }, () => c.end(false));
    }
  }

  private births(): void {
    const now = this.clock.now();
    this.publish(nodeTopic(this.group, 'NBIRTH', this.node), { timestamp: now, seq: this.seq.reset(), metrics: nodeBirthMetrics(this.st.bdSeq!, this.opts.version, now) });
    this.born = true;
    this.st.births++;
    this.sessionBorn.clear();
    for (const meter of this.latest.keys()) if (!this.dead.has(meter) && !this.feed?.isDead(meter)) this.deviceBirth(meter);
    if (!this.feed) this.sendHistorical();
  }

  private sendHistorical(): void {
    const pending = this.pending;
    this.pending = [];
    for (const r of pending) {
      const metrics = Object.entries(r.values).map(([n, v]) => deviceMetric(this.filter.spec(n), v, r.ts, false, true, this.aliases.alias(r.meter, n)));
      this.publish(deviceTopic(this.group, 'DDATA', this.node, r.meter), { timestamp: this.clock.now(), seq: this.seq.next(), metrics });
      this.st.published.historical++;
    }
  }

  private deviceBirth(meter: string): void {
    const l = this.latest.get(meter)!;
    const metrics: Metric[] = Object.entries(l.values).map(([n, v]) => deviceMetric(this.filter.spec(n), v, l.ts, true, false, this.aliases.alias(meter, n)));
    if (this.opts.commands) metrics.push({ name: DEVICE_COMMAND, alias: this.aliases.alias(meter, DEVICE_COMMAND), timestamp: l.ts, datatype: DataType.String, value: '' });
    this.filter.born(meter, l.values);
    this.sessionBorn.add(meter);
    this.publish(deviceTopic(this.group, 'DBIRTH', this.node, meter), { timestamp: this.clock.now(), seq: this.seq.next(), metrics });
  }

  private onMessage(topic: string, payload: Buffer): void {
    const host = this.opts.sparkplug.primaryHostId;
    if (host && topic === stateTopic(host)) return this.onState(payload);
    if (topic !== nodeTopic(this.group, 'NCMD', this.node)) return this.onDeviceCommand(topic, payload);
    let metrics: Metric[];
    try {
      metrics = decodePayload(payload).metrics;
    } catch (e) {
      this.opts.log.warn({ topic, code: (e as { code?: string }).code, err: (e as Error).message }, 'sparkplug NCMD rejected');
      this.emit('rejected', topic, (e as Error).message);
      return;
    }
    const rebirth = metrics.some((m) => m.name === NODE_REBIRTH && m.value === true);
    if (rebirth && this.born) {
      this.opts.log.info({ bdSeq: this.st.bdSeq }, 'sparkplug rebirth requested');
      this.births();
      this.emit('born', this.st.bdSeq);
    }
  }

  private onDeviceCommand(topic: string, payload: Buffer): void {
    const device = topic.split('/')[4] ?? '';
    let id: string | null = null;
    const reject = (message: string): void => {
      this.opts.log.warn({ topic, code: 'E_SPARKPLUG_COMMAND', command: id, err: message }, 'sparkplug DCMD rejected');
      this.emit('rejected', topic, message, id);
    };
    if (!this.opts.commands) return reject('DCMD: this gateway takes no commands (credit: not configured)');
    let metrics: Metric[];
    try {
      metrics = decodePayload(payload).metrics;
    } catch (e) {
      return reject(`DCMD: ${(e as Error).message}`);
    }
    const m = metrics[0];
    const commandAlias = this.aliases.peek(device, DEVICE_COMMAND);
    if (metrics.length !== 1 || !(m?.name === DEVICE_COMMAND || (m?.name === undefined && m?.alias !== undefined && m.alias === commandAlias))) return reject(`metrics: must be exactly one "${DEVICE_COMMAND}" metric (got ${metrics.map((x) => JSON.stringify(x.name ?? x.alias ?? '?')).join(', ') || 'none'})`);
    if (typeof m.value !== 'string') return reject(`metrics[0]: "${DEVICE_COMMAND}" must be a String holding the signed command envelope`);
    let envelope: unknown;
    try {
      envelope = JSON.parse(m.value);
    } catch {
      return reject(`metrics[0]: "${DEVICE_COMMAND}" is not JSON: a signed command envelope is expected`);
    }
    if (!envelope || typeof envelope !== 'object' || Array.isArray(envelope)) return reject(`metrics[0]: "${DEVICE_COMMAND}" must be a JSON object (the signed command envelope)`);
    const e = envelope as { id?: unknown; meter?: unknown };
    if (typeof e.id === 'string') id = e.id;
    if (e.meter !== device) return reject(`meter: the envelope is for ${JSON.stringify(e.meter ?? null)}, the DCMD for device ${JSON.stringify(device)}`);
    this.emit('command', Buffer.from(m.value, 'utf8'), device);
  }

  /** QoS 0 unless told (historical DDATA from the outbox: 1); `done` gets whether it was written (0) or acknowledged (1). */
  private publish(topic: string, p: Parameters<typeof encodePayload>[0], qos: 0 | 1 = 0, done?: (ok: boolean) => void): void {
    const c = this.client;
    if (!c) return done?.(false);
    c.publish(topic, Buffer.from(encodePayload(p)), { qos, retain: false }, done ? (err) => done(!err) : undefined);
  }
}
