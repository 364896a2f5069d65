/**
 * Prometheus metrics of one gateway, in its own prom-client Registry (never the global default,
 * so two gateways in one process — tests — do not mix). Cumulative counts the gateway already keeps
 * (bus transactions, errors by code, outbox, uplink) are copied in at scrape time; relay actions,
 * credit events and poll latency are fed by the gateway's reading and event hooks.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { NewEvent, NewReading } from '../../core/model.js';
import type { GatewayStatus } from './gateway-status.js';

/** Events from the credit rules (policy decisions, counters, tamper) counted as credit events. */
export const CREDIT_EVENT_TYPES: ReadonlySet<string> = new Set([
  'credit',
  'low-credit',
  'disconnect-scheduled',
  'disconnect-cancelled',
  'emergency-credit-offered',
  'emergency-credit-refused',
  'emergency-credit-taken',
  'friendly-period-zero-credit',
  'ready-for-reconnection',
  'reconnected',
  'counter-rebaselined',
  'relay-action-held',
  'button-reconnect',
  'relay-opened-by-meter',
  'tamper',
  'max-demand-exceeded',
]);

/** Relay events -> the target they were for and how it went. */
export function relayAction(e: NewEvent): { target: string; result: string } | undefined {
  const target = typeof e.data?.target === 'string' ? e.data.target : undefined;
  switch (e.type) {
    case 'tripped':
      return { target: 'disconnected', result: 'verified' };
    case 'relay-closed':
      return { target: 'connected', result: 'verified' };
    case 'relay-armed':
      return { target: 'ready-for-reconnection', result: 'verified' };
    case 'relay-mismatch':
      return { target: target ?? 'unknown', result: 'mismatch' };
    case 'relay-unavailable':
      return { target: target ?? 'unknown', result: 'unavailable' };
    case 'alarm':
      return target ? { target, result: 'failed' } : undefined;
    default:
      return undefined;
  }
}

export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly busTransactions: Counter<'bus'>;
  private readonly busQueueDepth: Gauge<'bus'>;
  private readonly busErrors: Counter<'bus' | 'code'>;
  private readonly meterErrors: Counter<'meter' | 'bus' | 'code'>;
  private readonly meterPolls: Counter<'meter' | 'bus' | 'result'>;
  private readonly meterUp: Gauge<'meter' | 'bus'>;
  private readonly meterLastSeen: Gauge<'meter' | 'bus'>;
  private readonly latency: Histogram<'bus'>;
  private readonly outboxReadings: Gauge;
  private readonly outboxBytes: Gauge;
  private readonly outboxEvents: Gauge;
  private readonly outboxDropped: Counter;
  private readonly mqttConnected: Gauge;
  private readonly mqttInflight: Gauge;
  private readonly mqttConnects: Counter;
  private readonly mqttReconnects: Counter;
  private readonly mqttPublished: Counter<'kind'>;
  private readonly relayActions: Counter<'meter' | 'target' | 'result'>;
  private readonly creditEvents: Counter<'meter' | 'type'>;
  private readonly creditBalance: Gauge<'meter' | 'unit'>;
  private readonly logins: Counter<'result'>;
  private readonly ledgerVerifyOk: Gauge;
  private readonly ledgerVerifyTime: Gauge;
  private readonly ledgerVerifyMismatches: Gauge;
  private readonly info: Gauge<'gateway' | 'version'>;
  private readonly uptime: Gauge;

  constructor(private readonly o: { status: () => Promise<GatewayStatus>; defaultMetrics?: boolean }) {
    const registers = [this.registry];
    this.busTransactions = new Counter({ name: 'prepaid_bus_transactions_total', help: 'Transactions run on the bus (polls, retries, relay commands)', labelNames: ['bus'], registers });
    this.busQueueDepth = new Gauge({ name: 'prepaid_bus_queue_depth', help: 'Transactions waiting for the bus, including the one in flight', labelNames: ['bus'], registers });
    this.busErrors = new Counter({ name: 'prepaid_bus_errors_total', help: 'Failed transactions on the bus by error code', labelNames: ['bus', 'code'], registers });
    this.meterErrors = new Counter({ name: 'prepaid_meter_errors_total', help: 'Failed transactions with the meter by error code (including those a retry hid)', labelNames: ['meter', 'bus', 'code'], registers });
    this.meterPolls = new Counter({ name: 'prepaid_meter_polls_total', help: 'Polls of the meter by result', labelNames: ['meter', 'bus', 'result'], registers });
    this.meterUp = new Gauge({ name: 'prepaid_meter_up', help: '1 while the meter answers, 0 when communication is lost or not yet established', labelNames: ['meter', 'bus'], registers });
    this.meterLastSeen = new Gauge({ name: 'prepaid_meter_last_seen_timestamp_seconds', help: 'Time of the last good reading (Unix seconds; absent before the first)', labelNames: ['meter', 'bus'], registers });
    this.latency = new Histogram({ name: 'prepaid_poll_latency_seconds', help: 'Time of one successful meter poll (all its transactions)', labelNames: ['bus'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers });
    this.outboxReadings = new Gauge({ name: 'prepaid_outbox_readings', help: 'Readings in the outbox not yet acknowledged by the broker', registers });
    this.outboxBytes = new Gauge({ name: 'prepaid_outbox_bytes', help: 'Bytes of the readings in the outbox', registers });
    this.outboxEvents = new Gauge({ name: 'prepaid_outbox_events', help: 'Events in the outbox not yet acknowledged', registers });
    this.outboxDropped = new Counter({ name: 'prepaid_outbox_dropped_total', help: 'Readings dropped because the outbox was full (since the database was created)', registers });
    this.mqttConnected = new Gauge({ name: 'prepaid_mqtt_connected', help: '1 while connected to the MQTT broker', registers });
    this.mqttInflight = new Gauge({ name: 'prepaid_mqtt_inflight', help: 'Outbox messages published and awaiting PUBACK', registers });
    this.mqttConnects = new Counter({ name: 'prepaid_mqtt_connects_total', help: 'Successful MQTT connections since start', registers });
    this.mqttReconnects = new Counter({ name: 'prepaid_mqtt_reconnects_total', help: 'MQTT reconnect attempts since start', registers });
    this.mqttPublished = new Counter({ name: 'prepaid_mqtt_published_total', help: 'Messages acknowledged by the broker since start, by kind', labelNames: ['kind'], registers });
    this.relayActions = new Counter({ name: 'prepaid_relay_actions_total', help: 'Relay commands by target state and result (verified by readback, mismatch, unavailable, failed)', labelNames: ['meter', 'target', 'result'], registers });
    this.creditEvents = new Counter({ name: 'prepaid_credit_events_total', help: 'Credit events (low-credit, disconnect-scheduled, reconnected, ...) by type', labelNames: ['meter', 'type'], registers });
    this.creditBalance = new Gauge({ name: 'prepaid_credit_balance', help: 'Account balance in sub-units of its credit unit', labelNames: ['meter', 'unit'], registers });
    this.ledgerVerifyOk = new Gauge({ name: 'prepaid_ledger_verify_ok', help: '1 if the last ledger replay check found every balance equal to the sum of its entries, else 0 (absent before the first check or without credit)', registers });
    this.ledgerVerifyTime = new Gauge({ name: 'prepaid_ledger_verify_timestamp_seconds', help: 'When the last ledger replay check ran (Unix seconds; it runs at start and daily)', registers });
    this.ledgerVerifyMismatches = new Gauge({ name: 'prepaid_ledger_verify_mismatches', help: 'Mismatches the last ledger replay check found', registers });
    this.logins = new Counter({ name: 'prepaid_console_logins_total', help: 'Web console login attempts by result', labelNames: ['result'], registers });
    this.info = new Gauge({ name: 'prepaid_gateway_info', help: 'Gateway id and version (value 1)', labelNames: ['gateway', 'version'], registers });
    this.uptime = new Gauge({ name: 'prepaid_gateway_uptime_seconds', help: 'Seconds since the gateway started', registers });
    if (o.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'prepaid_gateway_' });
  }

  /** A reading handed on by acquisition: its poll's latency goes into the histogram. */
  onReading(r: NewReading, bus: string | undefined, latencyMs: number | null | undefined): void {
    if (bus && typeof latencyMs === 'number') this.latency.observe({ bus }, latencyMs / 1000);
    void r;
  }

  onEvent(e: NewEvent): void {
    const meter = e.meter ?? '';
    const relay = relayAction(e);
    if (relay) this.relayActions.inc({ meter, ...relay });
    else if (CREDIT_EVENT_TYPES.has(e.type)) this.creditEvents.inc({ meter, type: e.type });
  }

  login(result: 'ok' | 'failed' | 'locked'): void {
    this.logins.inc({ result });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text, with the gateway's counters copied in now. */
  async text(): Promise<string> {
    this.update(await this.o.status());
    // prom-client 15 writes a NaN sample (the event-loop lag before its first sample) as "Nan";
    // the exposition format spells it "NaN", which strict parsers require.
    return (await this.registry.metrics()).replace(/ Nan$/gm, ' NaN');
  }

  private update(s: GatewayStatus): void {
    setCounters(this.busTransactions, s.buses.map((b) => [{ bus: b.bus }, b.transactions]));
    this.busQueueDepth.reset();
    for (const b of s.buses) this.busQueueDepth.set({ bus: b.bus }, b.queueDepth);
    setCounters(this.busErrors, s.buses.flatMap((b) => Object.entries(b.errors).map(([code, n]) => [{ bus: b.bus, code }, n] as const)));
    setCounters(this.meterErrors, s.meters.flatMap((m) => Object.entries(m.errors).map(([code, n]) => [{ meter: m.meter, bus: m.bus, code }, n] as const)));
    setCounters(this.meterPolls, s.meters.flatMap((m) => [[{ meter: m.meter, bus: m.bus, result: 'ok' }, m.successes] as const, [{ meter: m.meter, bus: m.bus, result: 'failed' }, m.failures] as const]));
    this.meterUp.reset();
    this.meterLastSeen.reset();
    for (const m of s.meters) {
      this.meterUp.set({ meter: m.meter, bus: m.bus }, m.state === 'ok' ? 1 : 0);
      if (m.lastSeen !== null) this.meterLastSeen.set({ meter: m.meter, bus: m.bus }, m.lastSeen / 1000);
    }
    this.outboxReadings.set(s.outbox.readings);
    this.outboxBytes.set(s.outbox.readingBytes);
    this.outboxEvents.set(s.outbox.events);
    setCounters(this.outboxDropped, [[{}, s.outbox.dropped]]);
    this.mqttConnected.set(s.uplink.connected ? 1 : 0);
    this.mqttInflight.set(s.uplink.inflight);
    setCounters(this.mqttConnects, [[{}, s.uplink.connects]]);
    setCounters(this.mqttReconnects, [[{}, s.uplink.reconnects]]);
    setCounters(this.mqttPublished, Object.entries(s.uplink.published).map(([kind, n]) => [{ kind }, n] as const));
    this.creditBalance.reset();
    for (const a of s.credit ?? []) this.creditBalance.set({ meter: a.meter, unit: a.currency ?? a.creditUnit }, a.balance);
    this.ledgerVerifyOk.reset();
    this.ledgerVerifyTime.reset();
    this.ledgerVerifyMismatches.reset();
    if (s.ledgerVerify) {
      this.ledgerVerifyOk.set(s.ledgerVerify.ok ? 1 : 0);
      this.ledgerVerifyTime.set(s.ledgerVerify.at / 1000);
      this.ledgerVerifyMismatches.set(s.ledgerVerify.mismatches);
    }
    this.info.reset();
    this.info.set({ gateway: s.gateway, version: s.version }, 1);
    this.uptime.set(s.uptimeMs / 1000);
  }
}

/** A counter whose truth is a total kept elsewhere: replace its values with those totals. */
function setCounters<L extends string>(c: Counter<L>, values: ReadonlyArray<readonly [Partial<Record<L, string>>, number]>): void {
  c.reset();
  for (const [labels, n] of values) c.inc(labels, Math.max(0, n));
}
