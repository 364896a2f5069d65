import { DAMAGED_FILE_HINT } from '../../core/ledger/errors.js';

/**
 * SQLite's quick integrity check, shared by the outbox and the ledger (they open the same file on
 * their own connections). Returns what is wrong (empty: healthy) and the message both report.
 */
export async function quickCheckProblems(db: { all(sql: string): Promise<unknown[]> }): Promise<string[]> {
  const rows = (await db.all('PRAGMA quick_check(20)')) as Array<{ quick_check: string }>;
  return rows.map((r) => r.quick_check).filter((r) => r !== 'ok');
}

export function corruptMessage(path: string, problems: readonly string[]): string {
  return `${path}: failed its integrity check (${problems.slice(0, 3).join('; ')}); ${DAMAGED_FILE_HINT}`;
}
