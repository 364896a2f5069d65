/**
 * Errors raised by the gateway's outbox and uplink: PrepaidErrors (one registry,
 * protocols/src/errors.ts) with the store's codes and the name GatewayError.
 */
import { DAMAGED_FILE_HINT } from '../../core/ledger/errors.js';
import { ERROR_CODES, PrepaidError, type ErrorContext } from '@prepaid-edge/protocols';

export type GatewayErrorCode = 'E_STORE_OPEN' | 'E_STORE_CORRUPT' | 'E_STORE_WRITE' | 'E_STORE_READ' | 'E_STORE_INPUT' | 'E_STORE_CLOSED' | 'E_MQTT_CONFIG';

const CODES: readonly GatewayErrorCode[] = ['E_STORE_OPEN', 'E_STORE_CORRUPT', 'E_STORE_WRITE', 'E_STORE_READ', 'E_STORE_INPUT', 'E_STORE_CLOSED', 'E_MQTT_CONFIG'];

/** The store's codes with their meaning, from the registry. */
export const GATEWAY_ERROR_CODES: Readonly<Record<GatewayErrorCode, string>> = Object.fromEntries(CODES.map((c) => [c, ERROR_CODES[c]])) as Record<GatewayErrorCode, string>;

export interface GatewayErrorContext extends ErrorContext {
  /** The database file, for every E_STORE_* error raised on a file. */
  path?: string;
}

export class GatewayError extends PrepaidError {
  declare readonly code: GatewayErrorCode;
  declare readonly context: GatewayErrorContext;
  constructor(code: GatewayErrorCode, message: string, context: GatewayErrorContext = {}, options?: { cause?: unknown }) {
    super(code, message, context, options);
    this.name = 'GatewayError';
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
    return new GatewayError('E_STORE_CORRUPT', `${path}: ${what}: the file is damaged or is not a SQLite database (${detail}); ${DAMAGED_FILE_HINT}`, { path, sqlite: sqliteCode }, { cause });
  }
  const hint = sqliteCode === 'SQLITE_BUSY' ? ' (is another gateway process using this file?)' : '';
  return new GatewayError(code, `${path}: ${what}: ${detail}${hint}`, { path, ...(sqliteCode ? { sqlite: sqliteCode } : {}) }, { cause });
}
