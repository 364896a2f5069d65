/** Shared pieces of the uplink tests: config, a subscriber that records everything, waiting on conditions. */
import { randomUUID } from 'node:crypto';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import pino from 'pino';
import type { ExecutionContext } from 'ava';
import type { MqttConfig } from '../../src/core/config/gateway-config.js';
import type { Logger } from '../../src/adapters/log.js';

export const PREFIX = 'pe-test';

export function quietLog(): Logger {
  return pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }, pino.destination(2));
}

export function mqttCfg(url: string, over: Partial<MqttConfig> = {}): MqttConfig {
  return {
    url,
    topicPrefix: PREFIX,
    clientId: `gw-${randomUUID().slice(0, 8)}`,
    persistentSession: true,
    keepaliveSec: 10,
    reconnectMinMs: 50,
    reconnectMaxMs: 300,
    batchSize: 50,
    inflight: 8,
    healthIntervalMs: 1000,
    ...over,
  };
}

/** Resolve when `cond` holds; reject after `timeoutMs` naming what was awaited. Never an assertion by itself. */
export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface Received {
  topic: string;
  retain: boolean;
  json: Record<string, unknown>;
}

export interface ReadingMsg {
  meter: string;
  historical: boolean;
  readings: Array<{ seq: number; ts: number; values: Record<string, number> }>;
}

export interface Subscriber {
  client: MqttClient;
  messages: Received[];
  /** Every reading received for a gateway, in arrival order, with its message's flags. */
  readings(gw: string): Array<{ meter: string; seq: number; ts: number; values: Record<string, number>; historical: boolean }>;
  readingMessages(gw: string): ReadingMsg[];
  on(topic: string): Received[];
}

/**
 * A subscriber to `pe-test/#` with a persistent session, so messages published while it is
 * reconnecting (broker restart) are queued for it by the broker.
 */
export async function subscribe(t: ExecutionContext, url: string, extra: IClientOptions = {}): Promise<Subscriber> {
  const client = connect(url, { clientId: `sub-${randomUUID().slice(0, 8)}`, clean: false, reconnectPeriod: 100, ...extra });
  t.teardown(() => client.endAsync(true));
  const messages: Received[] = [];
  client.on('error', () => undefined);
  client.on('message', (topic, payload, packet) => messages.push({ topic, retain: packet.retain, json: JSON.parse(payload.toString()) as Record<string, unknown> }));
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => client.subscribe(`${PREFIX}/#`, { qos: 1 }, (err) => (err ? reject(err) : resolve())));
  });
  const readingMessages = (gw: string) => messages.filter((m) => m.topic.startsWith(`${PREFIX}/${gw}/meters/`) && m.topic.endsWith('/readings')).map((m) => m.json as unknown as ReadingMsg);
  return {
    client,
    messages,
    readingMessages,
    readings: (gw) => readingMessages(gw).flatMap((m) => m.readings.map((r) => ({ ...r, meter: m.meter, historical: m.historical }))),
    on: (topic) => messages.filter((m) => m.topic === topic),
  };
}

/** Per meter: the distinct seqs received, and how often each came. */
export function seqCensus(rs: ReadonlyArray<{ meter: string; seq: number }>): Map<string, Map<number, number>> {
  const out = new Map<string, Map<number, number>>();
  for (const r of rs) {
    const m = out.get(r.meter) ?? new Map<number, number>();
    m.set(r.seq, (m.get(r.seq) ?? 0) + 1);
    out.set(r.meter, m);
  }
  return out;
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}
