/** A Sparkplug host stand-in for tests: records every spBv1.0 message, decoded with Eclipse Tahu's decoder. */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { ExecutionContext } from 'ava';

const tahu = (createRequire(import.meta.url)('sparkplug-payload') as typeof import('sparkplug-payload')).get('spBv1.0')!;
export type TahuPayload = ReturnType<typeof tahu.decodePayload>;
export const encodeTahu = (p: Parameters<typeof tahu.encodePayload>[0]): Buffer => Buffer.from(tahu.encodePayload(p));

export const num = (v: unknown): number => (typeof v === 'object' && v !== null && 'toNumber' in v ? (v as { toNumber(): number }).toNumber() : Number(v));

export interface SpMessage {
  topic: string;
  type: string;
  device?: string;
  qos: number;
  retain: boolean;
  payload: TahuPayload;
  seq: number | null;
  /** Metric names as they came on the wire (DDATA: none, aliases only), before the alias lookup. */
  namesOnWire: Array<string | undefined>;
  /** The bdSeq metric, when the message has one. */
  bdSeq: number | null;
  metric(name: string): NonNullable<TahuPayload['metrics']>[number] | undefined;
}

export interface Host {
  client: MqttClient;
  messages: SpMessage[];
  of(type: string, device?: string): SpMessage[];
}

/** `extra`: e.g. `{ clean: false }` for a host whose session (and queue) survives a broker restart. */
export async function startHost(t: ExecutionContext, url: string, group: string, extra: IClientOptions = {}): Promise<Host> {
  const client = connect(url, { clientId: `host-${randomUUID().slice(0, 8)}`, clean: true, reconnectPeriod: 100, ...extra });
  t.teardown(() => client.endAsync(true));
  const messages: SpMessage[] = [];
  /** device topic -> alias -> name, from births, so tests read DDATA by metric name like a host. */
  const names = new Map<string, Map<number, string>>();
  client.on('error', () => undefined);
  client.on('message', (topic, payload, packet) => {
    const parts = topic.split('/');
    let p: TahuPayload;
    try {
      p = tahu.decodePayload(payload);
    } catch {
      return; // a test's own garbage DCMD, seen by this subscriber too
    }
    const namesOnWire = (p.metrics ?? []).map((m) => m.name ?? undefined);
    const device = parts.slice(3).join('/');
    if (parts[2] === 'DBIRTH' || parts[2] === 'NBIRTH') {
      const map = new Map<number, string>();
      for (const m of p.metrics ?? []) if (m.alias !== undefined && m.alias !== null && m.name) map.set(num(m.alias), m.name);
      names.set(device, map);
    } else if (parts[2] === 'DDATA' || parts[2] === 'NDATA') {
      for (const m of p.metrics ?? []) if (!m.name && m.alias !== undefined && m.alias !== null) m.name = names.get(device)?.get(num(m.alias)) ?? `alias:${num(m.alias)}`;
    }
    const metric = (name: string) => p.metrics?.find((m) => m.name === name);
    const bd = metric('bdSeq');
    messages.push({
      topic,
      type: parts[2]!,
      ...(parts[4] ? { device: parts[4] } : {}),
      qos: packet.qos,
      retain: packet.retain,
      payload: p,
      seq: p.seq === undefined || p.seq === null ? null : num(p.seq),
      bdSeq: bd ? num(bd.value) : null,
      namesOnWire,
      metric,
    });
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => client.subscribe(`spBv1.0/${group}/#`, { qos: 1 }, (err) => (err ? reject(err) : resolve())));
  });
  return { client, messages, of: (type, device) => messages.filter((m) => m.type === type && (device === undefined || m.device === device)) };
}
