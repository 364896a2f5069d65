/**
 * MqttConfig -> MQTT.js client options. TLS material is read from the PEM files here, once, so a
 * missing or unreadable file is a clear E_MQTT_CONFIG at start, not a reconnect loop.
 */
import { readFileSync } from 'node:fs';
import type { IClientOptions } from 'mqtt';
import type { MqttConfig } from '../../core/config/gateway-config.js';
import { GatewayError } from '../store/errors.js';

const PLAIN = new Set(['mqtt:', 'tcp:', 'ws:']);
const SECURE = new Set(['mqtts:', 'ssl:', 'wss:']);

export interface Will {
  topic: string;
  payload: string;
}

export function clientOptions(cfg: MqttConfig, will: Will, connectTimeoutMs: number): IClientOptions {
  const url = parseUrl(cfg.url);
  const secure = SECURE.has(url.protocol);
  const tls = cfg.tls;
  if (tls && (tls.ca || tls.cert || tls.key) && !secure) {
    throw new GatewayError('E_MQTT_CONFIG', `mqtt.tls is set but mqtt.url is ${url.protocol}//: use mqtts:// (or wss://) so the TLS settings are used`, { path: 'mqtt.url' });
  }
  if (tls && Boolean(tls.cert) !== Boolean(tls.key)) {
    throw new GatewayError('E_MQTT_CONFIG', 'mqtt.tls: cert and key go together (mutual TLS needs both)', { path: tls.cert ? 'mqtt.tls.key' : 'mqtt.tls.cert' });
  }
  return {
    clientId: cfg.clientId,
    clean: !cfg.persistentSession,
    keepalive: cfg.keepaliveSec,
    // MQTT.js's own fixed-period reconnect is off: the uplink reconnects with backoff and jitter,
    // on a new client each time, so nothing queued in MQTT.js's memory outlives a connection.
    reconnectPeriod: 0,
    connectTimeout: connectTimeoutMs,
    protocolVersion: 4,
    resubscribe: false,
    queueQoSZero: false,
    // MQTT.js otherwise pre-builds a 2-byte Buffer for each of the 65,536 packet ids: 6 MB of heap.
    writeCache: false,
    ...(cfg.username !== undefined ? { username: cfg.username } : {}),
    ...(cfg.password !== undefined ? { password: cfg.password } : {}),
    will: { topic: will.topic, payload: Buffer.from(will.payload), qos: 1, retain: true },
    ...(secure && tls
      ? {
          rejectUnauthorized: tls.rejectUnauthorized,
          ...(tls.ca ? { ca: readPem(tls.ca, 'mqtt.tls.ca') } : {}),
          ...(tls.cert ? { cert: readPem(tls.cert, 'mqtt.tls.cert') } : {}),
          ...(tls.key ? { key: readPem(tls.key, 'mqtt.tls.key') } : {}),
        }
      : {}),
  };
}

function parseUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch (e) {
    throw new GatewayError('E_MQTT_CONFIG', `mqtt.url is not a URL: ${JSON.stringify(raw)}`, { path: 'mqtt.url' }, { cause: e });
  }
  if (!PLAIN.has(url.protocol) && !SECURE.has(url.protocol)) {
    throw new GatewayError('E_MQTT_CONFIG', `mqtt.url: unsupported scheme ${url.protocol}// (mqtt, mqtts, ws, wss, tcp, ssl)`, { path: 'mqtt.url' });
  }
  return url;
}

function readPem(file: string, path: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new GatewayError('E_MQTT_CONFIG', `${path}: cannot read ${file}: ${(e as Error).message}`, { path, file }, { cause: e });
  }
}

/** The URL for logs: any password in it is masked. */
export function redactUrl(raw: string): string {
  try {
    const u = new URL(raw);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable url)';
  }
}
