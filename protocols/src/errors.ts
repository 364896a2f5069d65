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
  E_STORE_OPEN: 'the SQLite database cannot be opened or is not ours',
  E_STORE_CORRUPT: 'the SQLite database failed its integrity check',
  E_STORE_WRITE: 'a write to the SQLite database failed',
  E_MQTT_CONFIG: 'MQTT settings cannot be used (TLS files unreadable, bad URL)',
  E_PROFILE_INVALID: 'register map / meter profile failed schema validation',
  E_PROFILE_UNKNOWN: 'no profile with that id',
  E_VALUE_RANGE: 'value does not fit the register type',
  E_TOKEN_FORMAT: 'token is not well formed',
  E_TOKEN_CRC: 'token CRC does not match (wrong key or mistyped)',
  E_TOKEN_KEY: 'key has the wrong length or format',
  E_CONFIG_INVALID: 'configuration failed validation',
  E_SCENARIO_INVALID: 'scenario file failed validation',
  E_CONTROL_AUTH: 'control API request without a valid token',
  E_CONTROL_REQUEST: 'control API request that is malformed or names no such meter',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

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
}

/** Shorthand for decoders: a malformed-input error at a byte offset. */
export function frameError(code: ErrorCode, message: string, offset: number, extra: ErrorContext = {}): PrepaidError {
  return new PrepaidError(code, `${message} (at byte ${offset})`, { ...extra, offset });
}

export function isPrepaidError(e: unknown): e is PrepaidError {
  return e instanceof PrepaidError;
}
