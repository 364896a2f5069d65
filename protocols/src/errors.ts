/**
 * Every error prepaid-edge raises carries a stable `code` from this registry,
 * so callers branch on codes, never on message text (see docs/errors.md).
 */
export const ERROR_CODES = {
  E_FRAME_SHORT: 'frame shorter than its header or declared length',
  E_FRAME_LENGTH: 'declared length does not match the bytes present',
  E_FRAME_CRC: 'CRC-16/MODBUS check failed',
  E_FRAME_CHECKSUM: 'DL/T 645 checksum (sum mod 256) failed',
  E_FRAME_START: 'missing or wrong start / delimiter byte',
  E_FRAME_END: 'missing or wrong end byte',
  E_FRAME_PROTOCOL: 'protocol identifier is not the expected value',
  E_FRAME_FUNCTION: 'function or control code not supported',
  E_FRAME_VALUE: 'a field holds a value outside its allowed range',
  E_FRAME_BCD: 'a nibble is not a BCD digit',
  E_MODBUS_EXCEPTION: 'slave answered with a Modbus exception',
  E_MODBUS_TIMEOUT: 'no reply within the timeout',
  E_MODBUS_CRC: 'reply failed its CRC check (noise on the line)',
  E_MODBUS_REPLY: 'reply did not match the request (wrong unit, function or length)',
  E_BUS_UNAVAILABLE: 'the bus (serial port or TCP connection) cannot be opened',
  E_READ_IMPLAUSIBLE: 'a value read is implausible (NaN, out of range, energy going backwards or jumping)',
  E_DLT645_ERROR: 'DL/T 645 meter answered with an abnormal reply',
  E_STORE_OPEN: 'the SQLite database cannot be opened or is not ours (locked, foreign, newer schema)',
  E_STORE_CORRUPT: 'the SQLite database failed its integrity check or is not a database',
  E_STORE_WRITE: 'a write to the SQLite database failed',
  E_STORE_READ: 'a read from the SQLite database failed',
  E_STORE_INPUT: 'a reading or event cannot be stored as given (bad meter id, timestamp or value)',
  E_STORE_CLOSED: 'the outbox was used after close()',
  E_MQTT_CONFIG: 'MQTT settings cannot be used (TLS files unreadable, bad URL)',
  E_SPARKPLUG_PAYLOAD: 'a Sparkplug B payload cannot be encoded or decoded (value does not fit its datatype, bad protobuf)',
  E_SPARKPLUG_COMMAND: 'a Sparkplug DCMD is not one Command metric carrying a signed command envelope for that meter',
  E_PROFILE_INVALID: 'register map / meter profile failed schema validation',
  E_PROFILE_UNKNOWN: 'no profile with that id',
  E_VALUE_RANGE: 'value does not fit the register type',
  E_TOKEN_FORMAT: 'token is not well formed',
  E_TOKEN_CRC: 'token CRC does not match (wrong key or mistyped)',
  E_TOKEN_KEY: 'key has the wrong length or format',
  E_CONFIG_INVALID: 'configuration failed validation',
  E_CONFIG_BASE: 'a config command was made from another configuration than the active one (base hash differs)',
  E_CONFIG_BUSY: 'a config command arrived while another new configuration is still on trial',
  E_SCENARIO_INVALID: 'scenario file failed validation',
  E_CONTROL_AUTH: 'control API request without a valid token',
  E_CONTROL_REQUEST: 'control API request that is malformed or names no such meter',
  E_DLT645_TIMEOUT: 'DL/T 645 meter did not answer within the timeout',
  E_TOKEN_USED: 'token was already accepted (same TID): replay refused',
  E_TOKEN_OLD: 'token TID is older than every TID the meter remembers',
  E_TOKEN_UNSUPPORTED: 'token class or subclass is valid but not one this site accepts',
  E_TARIFF_INVALID: 'tariff or customer-class policy failed validation (names the field)',
  E_LEDGER_INPUT: 'ledger entry refused: non-integer or out-of-range amount, unknown kind or account',
  E_LEDGER_UNKNOWN_ACCOUNT: 'no ledger account for that meter',
  E_LEDGER_MISMATCH: 'stored balance differs from the replay of the account\'s entries',
  E_COMMAND_MALFORMED: 'command envelope is not valid JSON or misses / mistypes a field (names it)',
  E_COMMAND_SIGNATURE: 'command signature does not verify against the named key',
  E_COMMAND_UNKNOWN_KEY: 'command names a keyId that is not in config',
  E_COMMAND_EXPIRED: 'command expiresAt is in the past (or issuedAt is in the future beyond the allowed skew)',
  E_COMMAND_UNKNOWN_METER: 'command names a meter with no account on this gateway',
  E_COMMAND_AMOUNT: 'command amount or currency out of range for the account',
  E_COMMAND_UNKNOWN_TYPE: 'command type is not one the gateway executes',
  E_COMMAND_COSIGN: 'correction above the co-sign amount lacks a valid co-signature by a second, different key',
  E_COMMAND_LIMIT: "correction exceeds the policy's per-command or per-day limit, or would take the balance below what the policy allows",
  E_COMMAND_REVERSAL: 'reverse names no entry of that meter, an entry already reversed, a reversal, or a kind that cannot be reversed',
  E_COMMAND_ACCOUNT_STATE: 'lifecycle command does not fit the account: one is already open on the meter, none is open, or the meter is not configured',
  E_COMMAND_POINTS: 'points-redeem: the account has fewer points than asked, or its policy has no points rule',
  E_RELAY_MISMATCH: 'relay readback does not match the commanded state after all retries',
  E_RELAY_REFUSED: 'meter refused the relay command (exception or abnormal reply)',
  E_RELAY_UNSUPPORTED: 'the meter\'s driver cannot do that relay operation',
  E_AUTH_REQUIRED: 'request needs authentication (web console, control port)',
  E_AUTH_FAILED: 'wrong credentials, or too many attempts (rate limited)',
  E_CSRF_TOKEN: 'a browser session\'s state-changing request without that session\'s X-CSRF-Token',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * Whether the same call may succeed if made again (true: a fault of the line, the peer or the disk
 * that passes) or will fail the same way (false: bad input, configuration, a refusal, a used token).
 * Every code is listed (the type says so); docs/errors.md lists the retryable ones.
 */
export const RETRYABLE: Readonly<Record<ErrorCode, boolean>> = {
  E_FRAME_SHORT: false,
  E_FRAME_LENGTH: false,
  E_FRAME_CRC: true,
  E_FRAME_CHECKSUM: true,
  E_FRAME_START: false,
  E_FRAME_END: false,
  E_FRAME_PROTOCOL: false,
  E_FRAME_FUNCTION: false,
  E_FRAME_VALUE: false,
  E_FRAME_BCD: false,
  E_MODBUS_EXCEPTION: false,
  E_MODBUS_TIMEOUT: true,
  E_MODBUS_CRC: true,
  E_MODBUS_REPLY: true,
  E_BUS_UNAVAILABLE: true,
  E_READ_IMPLAUSIBLE: false,
  E_DLT645_ERROR: false,
  E_STORE_OPEN: false,
  E_STORE_CORRUPT: false,
  E_STORE_WRITE: true,
  E_STORE_READ: true,
  E_STORE_INPUT: false,
  E_STORE_CLOSED: false,
  E_MQTT_CONFIG: false,
  E_SPARKPLUG_PAYLOAD: false,
  E_SPARKPLUG_COMMAND: false,
  E_PROFILE_INVALID: false,
  E_PROFILE_UNKNOWN: false,
  E_VALUE_RANGE: false,
  E_TOKEN_FORMAT: false,
  E_TOKEN_CRC: false,
  E_TOKEN_KEY: false,
  E_CONFIG_INVALID: false,
  E_CONFIG_BASE: false,
  E_CONFIG_BUSY: true,
  E_SCENARIO_INVALID: false,
  E_CONTROL_AUTH: false,
  E_CONTROL_REQUEST: false,
  E_DLT645_TIMEOUT: true,
  E_TOKEN_USED: false,
  E_TOKEN_OLD: false,
  E_TOKEN_UNSUPPORTED: false,
  E_TARIFF_INVALID: false,
  E_LEDGER_INPUT: false,
  E_LEDGER_UNKNOWN_ACCOUNT: false,
  E_LEDGER_MISMATCH: false,
  E_COMMAND_MALFORMED: false,
  E_COMMAND_SIGNATURE: false,
  E_COMMAND_UNKNOWN_KEY: false,
  E_COMMAND_EXPIRED: false,
  E_COMMAND_UNKNOWN_METER: false,
  E_COMMAND_AMOUNT: false,
  E_COMMAND_UNKNOWN_TYPE: false,
  E_COMMAND_COSIGN: false,
  E_COMMAND_LIMIT: false,
  E_COMMAND_REVERSAL: false,
  E_COMMAND_ACCOUNT_STATE: false,
  E_COMMAND_POINTS: false,
  E_RELAY_MISMATCH: false,
  E_RELAY_REFUSED: false,
  E_RELAY_UNSUPPORTED: false,
  E_AUTH_REQUIRED: false,
  E_AUTH_FAILED: false,
  E_CSRF_TOKEN: false,
};

export interface ErrorContext {
  /** Byte offset in the input where the problem was found. */
  offset?: number;
  /** Path of the offending field, e.g. `meters[2].unit` or `/registers/4/type`. */
  path?: string;
  [key: string]: unknown;
}

export class PrepaidError extends Error {
  readonly code: ErrorCode;
  readonly context: ErrorContext;
  constructor(code: ErrorCode, message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PrepaidError';
    this.code = code;
    this.context = context;
  }
  get offset(): number | undefined {
    return this.context.offset;
  }
  /** Worth a retry (RETRYABLE), or permanent. */
  get retryable(): boolean {
    return RETRYABLE[this.code];
  }
}

/** Shorthand for decoders: a malformed-input error at a byte offset. */
export function frameError(code: ErrorCode, message: string, offset: number, extra: ErrorContext = {}): PrepaidError {
  return new PrepaidError(code, `${message} (at byte ${offset})`, { ...extra, offset });
}

export function isPrepaidError(e: unknown): e is PrepaidError {
  return e instanceof PrepaidError;
}

/** A PrepaidError whose code is worth a retry; anything else (including foreign errors) is not. */
export function isRetryable(e: unknown): boolean {
  return e instanceof PrepaidError && e.retryable;
}
