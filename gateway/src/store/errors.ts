/**
 * Errors raised by the gateway's outbox and uplink. Same shape as PrepaidError (stable `code`,
 * `context`, underlying error as `cause`); E_STORE_OPEN, E_STORE_CORRUPT, E_STORE_WRITE and
 * E_MQTT_CONFIG mean exactly what they mean in the protocols registry.
 */
export const GATEWAY_ERROR_CODES = {
  E_STORE_OPEN: 'the SQLite database cannot be opened or is not ours (locked, foreign, newer schema)',
  E_STORE_CORRUPT: 'the SQLite database failed its integrity check or is not a database',
  E_STORE_WRITE: 'a write to the SQLite database failed',
  E_STORE_READ: 'a read from the SQLite database failed',
  E_STORE_INPUT: 'a reading or event cannot be stored as given (bad meter id, timestamp or value)',
  E_STORE_CLOSED: 'the outbox was used after close()',
  E_MQTT_CONFIG: 'MQTT settings cannot be used (TLS files unreadable, bad URL)',
} as const;

export type GatewayErrorCode = keyof typeof GATEWAY_ERROR_CODES;

export interface GatewayErrorContext {
  /** The database file, for every E_STORE_* error raised on a file. */
  path?: string;
  [key: string]: unknown;
}

export class GatewayError extends Error {
  readonly code: GatewayErrorCode;
  readonly context: GatewayErrorContext;
  constructor(code: GatewayErrorCode, message: string, context: GatewayErrorContext = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GatewayError';
    this.code = code;
    this.context = context;
  }
}

export function isGatewayError(e: unknown): e is GatewayError {
  return e instanceof GatewayError;
}

/** SQLite result codes that mean the file itself is damaged or is not a database. */
const CORRUPT_CODES = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB']);

/**
 * Wrap an error from node-sqlite3 (which puts the SQLite result code in `code`, e.g. `SQLITE_FULL`)
 * so the caller sees one stable code; damaged-file codes always become E_STORE_CORRUPT.
 */
export function storeError(code: GatewayErrorCode, what: string, path: string, cause: unknown): GatewayError {
  if (cause instanceof GatewayError) return cause;
  const sqlite = (cause as { code?: unknown } | undefined)?.code;
  const sqliteCode = typeof sqlite === 'string' ? sqlite : undefined;
  const detail = cause instanceof Error ? cause.message : String(cause);
  if (sqliteCode && CORRUPT_CODES.has(sqliteCode)) {
    return new GatewayError('E_STORE_CORRUPT', `${path}: ${what}: the file is damaged or is not a SQLite database (${detail}); it was left untouched`, { path, sqlite: sqliteCode }, { cause });
  }
  const hint = sqliteCode === 'SQLITE_BUSY' ? ' (is another gateway process using this file?)' : '';
  return new GatewayError(code, `${path}: ${what}: ${detail}${hint}`, { path, ...(sqliteCode ? { sqlite: sqliteCode } : {}) }, { cause });
}
