/** The gateway's configuration after validation and defaults (see schema/gateway-config.schema.json). */

import type { AccountSpec, Policy, TariffVersion } from '../credit/contracts.js';
import type { AnomalyConfig } from '../anomaly/types.js';


export interface GatewayConfig {
  /** billingDay: monthly frozen readings of meters without an account (1..28, default 1). */
  gateway: { id: string; timezone: string; billingDay?: number };
  storage: StorageConfig;
  mqtt: MqttConfig;
  /** Sparkplug B edge node beside the JSON topics (absent: JSON topics only). */
  sparkplug?: SparkplugConfig;
  buses: BusConfig[];
  meters: MeterConfig[];
  /** johnny-five boards for relays of meters without one. */
  boards: BoardConfig[];
  /** Prepaid credit (absent: the gateway only reads and forwards). */
  credit?: CreditConfig;
  /** Credit rating, classes and reminders: the rating file, resolved against the config's folder (needs credit). */
  rating?: { file: string };
  /** Local web console, control API and /metrics (absent: no HTTP server). */
  console?: ConsoleConfig;
  /** The technician's command key for `topup` / `token` (its public key goes in credit.keys). */
  technician?: { keyId: string; privateKeyPath: string };
  /** Keeping the meters' clocks (defaults: on, daily, and after a step of the gateway's clock). */
  meterClocks: MeterClocksConfig;
  /** Early warning of abnormal use (absent: none). */
  anomaly?: AnomalyConfig;
  log: { level: string };
  /** Raised by every signed `config` command that is applied (absent: 0). */
  configVersion?: number;
  /** Signed `config` commands: the trial period (schema default 120 s). */
  remoteConfig?: { trialMs: number };
}

export interface MeterClocksConfig {
  enabled: boolean;
  intervalMs: number;
  checkMs: number;
  stepToleranceMs: number;
  maxDriftMs: number;
  /** ISO date-time; a gateway clock before it is not trusted to set meters. */
  notBefore: string;
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
  /**
   * Readings wait up to this long (ms) for others to share their transaction (flash wear: one
   * commit rewrites whole pages); events, deletes and marks commit at once. Default 0 in code, 100
   * from the config schema. A reading is charged and forwarded only after its commit.
   */
  commitWindowMs?: number;
}

export interface SparkplugConfig {
  groupId: string;
  edgeNodeId: string;
  /** beside (default): Sparkplug and the JSON reading topics; instead: readings on Sparkplug only (events, status, health, commands stay on JSON). */
  mode?: 'beside' | 'instead';
  /** Births wait for this host application's STATE online. */
  primaryHostId?: string;
  /** 4 = MQTT 3.1.1 (default), 5 = MQTT 5. */
  mqttVersion?: 4 | 5;
  /** Report-by-exception deadband per metric name (absolute, canonical unit). */
  deadbands?: Record<string, number>;
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

/** A bus on a serial line (RS-485 through a UART or USB adapter): what Modbus RTU and DL/T 645 share. */
export interface SerialBusConfig {
  id: string;
  path: string;
  baudRate: number;
  parity: Parity;
  stopBits: 1 | 2;
  timeoutMs: number;
  /** Extra silence between transactions (some adapters need it). */
  interFrameDelayMs: number;
}

/** Which Modbus master a bus uses: the gateway's own (default) or modbus-serial (for a site that needs it). */
export type ModbusDriverName = 'native' | 'modbus-serial';

export interface RtuBusConfig extends SerialBusConfig {
  type: 'rtu';
  driver?: ModbusDriverName;
  /** After a broadcast, ms before the next request (the gateway's master; default 100). */
  turnaroundMs?: number;
}

export interface TcpBusConfig {
  id: string;
  type: 'tcp';
  host: string;
  port: number;
  timeoutMs: number;
  interFrameDelayMs: number;
  driver?: ModbusDriverName;
  /** Requests on the connection at once, for a device that allows it (the gateway's master; default 1). */
  maxInFlight?: number;
}

/** RTU frames (with CRC) over a TCP socket to an Ethernet-to-RS-485 converter; one request in flight. */
export interface RtuOverTcpBusConfig {
  id: string;
  type: 'rtu-over-tcp';
  host: string;
  port: number;
  timeoutMs: number;
  interFrameDelayMs: number;
  /** Quiet time that ends a frame, ms (default 30: the converter and the network add their own gaps). */
  frameGapMs?: number;
  turnaroundMs?: number;
}

export interface Dlt645BusConfig extends SerialBusConfig {
  type: 'dlt645';
}

export type BusConfig = RtuBusConfig | TcpBusConfig | RtuOverTcpBusConfig | Dlt645BusConfig;

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

// credit: (parsed by adapters/credit/credit-config.ts)

export interface AccountConfig extends AccountSpec {
  /** Credit given when the account is first created (sub-units), booked as an adjustment. */
  openingBalance: number;
  /** STS decoder key (16 hex digits) and base date, for tokens typed on the meter or sent as commands. */
  sts?: { decoderKey: string; baseDate: 1993 | 2014 };
  /** OpenPAYGO key (32 hex digits) and starting code, for time-based credit. */
  openpaygo?: { key: string; startingCode: number; restrictedDigits: boolean };
}

export interface CommandLimits {
  /** Allowed clock difference between the signer and this gateway (ms). */
  maxSkewMs: number;
  /**
   * Largest top-up one command may carry, in sub-units, for every account whose policy sets none;
   * unset: the per-currency default (commands/top-up-limit.ts).
   */
  maxTopUp?: number;
  /** Longest allowed expiresAt - issuedAt (ms). */
  maxLifetimeMs: number;
}

export interface CreditConfig {
  tariffs: Record<string, TariffVersion[]>;
  policies: Record<string, Policy>;
  classes: Record<string, { tariff: string; policy: string }>;
  accounts: AccountConfig[];
  keys: Array<{ keyId: string; publicKey: string }>;
  commands: CommandLimits;
  /**
   * Book consumption at most this often per account (ms, default 60 s); a reading that changes
   * anything the customer sees (warning, notice, trip) is booked at once whatever this says.
   */
  chargeEveryMs: number;
}

export const COMMAND_DEFAULTS: CommandLimits = { maxSkewMs: 5 * 60_000, maxLifetimeMs: 7 * 24 * 3_600_000 };

// meters[].relay (checked by adapters/relay/relay-config.ts)

/** A johnny-five pin: a number or a name such as 'GPIO17' or 'A0'. */
export type PinRef = number | string;

/** How a relay hangs on board pins: what a `gpio` relay config names and the johnny-five driver takes. */
export interface GpioRelayWiring {
  /** Relay coil pin. */
  pin: PinRef;
  /** The relay closes when the pin is low (most opto-isolated relay modules); default false. */
  activeLow?: boolean;
  /** Auxiliary contact that follows the main contact; default: none (readback = commanded state). */
  feedbackPin?: PinRef;
  /** The feedback pin reads low when the relay is closed; default false. */
  feedbackActiveLow?: boolean;
  /** Customer reconnect button; default: none (arming unsupported). */
  buttonPin?: PinRef;
  /** Button pulls the pin low when pressed (pull-up wiring); default true. */
  buttonActiveLow?: boolean;
}

export type RelayConfig =
  | { type: 'meter' }
  | ({
      type: 'gpio';
      /** Id of a johnny-five board the gateway has opened. */
      board: string;
    } & GpioRelayWiring);

// console: (checked by adapters/web/console-config.ts)

export interface ConsoleUser {
  name: string;
  /** `scrypt$N$r$p$salt$hash` (see password.ts). */
  passwordHash: string;
}

export interface ConsoleApiToken {
  name: string;
  /** `sha256$hex` of the bearer token (see password.ts). */
  tokenHash: string;
}

export interface ConsoleConfig {
  /** host:port, e.g. 127.0.0.1:8080; port 0 picks a free one. */
  listen: string;
  /** A non-loopback address is refused unless this is true. Default false. */
  allowPublic: boolean;
  users: ConsoleUser[];
  /** Bearer tokens for API clients (technician CLI, scrapers). Default none. */
  apiTokens: ConsoleApiToken[];
  /** A token that may read /metrics and nothing else. */
  metricsTokenHash?: string;
  /** Sessions end this long after login. Default 8 h. */
  sessionTtlMs: number;
  /** Sessions end this long after their last request. Default 30 min. */
  sessionIdleMs?: number;
  /** Failed logins per IP, or per user name, before a lockout. Default 5. */
  loginMaxFailures: number;
  /** Default 15 min. */
  loginLockoutMs: number;
}
