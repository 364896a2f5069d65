/** Turning node-sqlite3 failures into PrepaidError codes that name the ledger file. */
import { PrepaidError } from '@prepaid-edge/protocols';

/** What every damaged-file error ends with: the file is untouched, and what the technician runs. */
export const DAMAGED_FILE_HINT = 'it was left untouched: stop the service and run `prepaid-gateway db recover -c <config>` (salvages what is intact into a new file and keeps this one)';

/** SQLite result codes that mean the file itself is damaged or is not a database. */
const CORRUPT_CODES = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB']);

export function sqliteCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined;
}

/**
 * Wrap a SQLite failure; a PrepaidError passes through unchanged, and so does any other error
 * (e.g. thrown by a caller's outcome callback), which is the caller's own.
 */
export function storeError(code: 'E_STORE_OPEN' | 'E_STORE_WRITE', what: string, path: string, cause: unknown, context: Record<string, unknown> = {}): unknown {
  if (cause instanceof PrepaidError) return cause;
  const sqlite = sqliteCode(cause);
  if (!sqlite) return cause;
  const detail = cause instanceof Error ? cause.message : String(cause);
  if (CORRUPT_CODES.has(sqlite)) {
    return new PrepaidError('E_STORE_CORRUPT', `${path}: ${what}: the file is damaged or is not a SQLite database (${detail}); ${DAMAGED_FILE_HINT}`, { ...context, path, sqlite }, { cause });
  }
  const hint = sqlite === 'SQLITE_BUSY' ? ' (another connection holds the file: an outbox opened in exclusive locking mode, or another gateway process?)' : '';
  return new PrepaidError(code, `${path}: ${what}: ${detail}${hint}`, { ...context, path, sqlite }, { cause });
}

export function closedError(path: string): PrepaidError {
  return new PrepaidError('E_STORE_OPEN', `${path}: the ledger is closed`, { path });
}
