/** The gateway's configuration after validation and defaults (see schema/gateway-config.schema.json). */

import type { CreditConfig } from '../credit/engine/credit-config.js';
import type { RelayConfig } from '../relay/relay-config.js';
import type { ConsoleConfig } from '../web/console-config.js';

export interface GatewayConfig {
  gateway: { id: string; timezone: string };
  storage: StorageConfig;
  mqtt: MqttConfig;
  buses: BusConfig[];
  meters: MeterConfig[];
  /** johnny-five boards for relays of meters without one. */
  boards: BoardConfig[];
  /** Prepaid credit (absent: the gateway only reads and forwards). */
  credit?: CreditConfig;
  /** Local web console, control API and /metrics (absent: no HTTP server). */
  console?: ConsoleConfig;
  /** The technician's command key for `topup` / `token` (its public key goes in credit.keys). */
  technician?: { keyId: string; privateKeyPath: string };
  log: { level: string };
}

export interface BoardConfig {
  id: string;
  /** 'virtual' | 'raspi' | 'firmata:/dev/ttyACM0' */
  io: string;
}

export interface StorageConfig {
  /** SQLite file; created if missing. */
  path: string;
  /** Outbox bounds: when either is exceeded the oldest readings are dropped (events never). */
  maxReadings: number;
  maxBytes: number;
  /** 'full' survives power loss; 'normal' survives process crashes only. */
  synchronous: 'full' | 'normal';
}

export interface MqttConfig {
  url: string;
  topicPrefix: string;
  clientId: string;
  username?: string;
  password?: string;
  /** PEM file paths for TLS / mutual TLS. */
  tls?: { ca?: string; cert?: string; key?: string; rejectUnauthorized: boolean };
  /** Persistent session (clean start false). */
  persistentSession: boolean;
  keepaliveSec: number;
  /** Reconnect backoff: min/max delay, jittered. */
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** Readings per MQTT message at most, and messages awaiting PUBACK at once. */
  batchSize: number;
  inflight: number;
  /** Health messages at least this often. */
  healthIntervalMs: number;
  /** Live readings wait up to this long (ms) after the oldest unsent one, so a message carries several per meter; 0 = at once. */
  lingerMs?: number;
  /** Largest packet taken from the broker (bytes); a publish over it is dropped unread. Default 64 KiB. */
  maxPacketBytes?: number;
}

export type Parity = 'none' | 'even' | 'odd';

export interface RtuBusConfig {
  id: string;
  type: 'rtu';
  path: string;
  baudRate: number;
  parity: Parity;
  stopBits: 1 | 2;
  timeoutMs: number;
  /** Extra silence between transactions (some adapters need it). */
  interFrameDelayMs: number;
}

export interface TcpBusConfig {
  id: string;
  type: 'tcp';
  host: string;
  port: number;
  timeoutMs: number;
  interFrameDelayMs: number;
}

export interface Dlt645BusConfig {
  id: string;
  type: 'dlt645';
  path: string;
  baudRate: number;
  parity: Parity;
  stopBits: 1 | 2;
  timeoutMs: number;
  interFrameDelayMs: number;
}

export type BusConfig = RtuBusConfig | TcpBusConfig | Dlt645BusConfig;

export interface MeterConfig {
  id: string;
  bus: string;
  /** Modbus unit id (1..247); for DL/T 645 meters, `address` is used instead. */
  unit: number;
  /** 12-digit DL/T 645 address. */
  address?: string;
  profile: string;
  pollMs: number;
  retries: number;
  /** Dead-meter backoff: after a failed poll, wait pollMs * 2^n up to this. */
  maxBackoffMs: number;
  /** Consecutive failures before comm-lost is raised. */
  commLostAfter: number;
  /** Registers a profile marks `poll: 'slow'` are read at the first poll, then at most this often (ms). */
  slowPollMs?: number;
  /** Which relay enforces credit (default: the meter's own). */
  relay?: RelayConfig;
}
