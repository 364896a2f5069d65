/**
 * The newest rows of the ledger's audit log. The ledger pages oldest-first by id; to avoid reading
 * years of rows, find the highest id by galloping (auditLog with limit 1), then read the tail.
 */
import type { AuditEntry, Ledger } from '../store/ledger/index.js';

export async function latestAudit(ledger: Pick<Ledger, 'auditLog'>, limit: number): Promise<AuditEntry[]> {
  const exists = async (afterId: number) => (await ledger.auditLog({ afterId, limit: 1 })).length > 0;
  if (!(await exists(0))) return [];
  let lo = 0;
  let hi = 1;
  while (await exists(hi)) {
    lo = hi;
    hi *= 2;
  }
  // Invariant: a row with id > lo exists, none with id > hi.
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (await exists(mid)) lo = mid;
    else hi = mid;
  }
  const rows = await ledger.auditLog({ afterId: Math.max(0, hi - limit), limit });
  return rows.slice(-limit);
}
