/** The ledger's public shapes beyond those in credit/contracts.ts. */
import type { PrepaidError } from '@prepaid-edge/protocols';
import type { AccountState, ChargeCursor, CommandOutcome, NewEntry, StoredEntry } from '../credit/contracts.js';

export type TokenScheme = 'sts' | 'openpaygo';

/** Everything one posting changes, committed together or not at all. */
export interface Posting {
  meter: string;
  /** When the posting happened (the audit row's ts). */
  ts: number;
  entries: NewEntry[];
  /** New policy state; omitted = unchanged. */
  state?: AccountState;
  /** New charge cursor; omitted = unchanged, null = cleared. */
  cursor?: ChargeCursor | null;
  audit: { action: string; cause: string; detail?: Record<string, unknown> };
  /**
   * The command this posting executes: a second posting with the same id writes nothing. `outcome`
   * is recorded as given; with `withBalance` it gets the balance after the posting (known only when
   * it is settled in the transaction). A function of that balance is accepted too.
   */
  command?: { id: string; type: string; outcome: CommandOutcome | ((balance: number) => CommandOutcome); withBalance?: boolean };
  tokenMemory?: { scheme: TokenScheme; memory: unknown };
}

export interface PostResult {
  /** The entries appended (none for a duplicate command). */
  entries: StoredEntry[];
  /** The account balance after the posting (for a duplicate: the balance now). */
  balance: number;
  /** The outcome recorded for `command`, or `{ status: 'duplicate', original }`. */
  outcome?: CommandOutcome;
}

/** One result per posting of postMany, in order. */
export type PostManyResult = ({ ok: true } & PostResult) | { ok: false; error: PrepaidError | Error };

export interface NewAuditEntry {
  ts: number;
  meter?: string;
  action: string;
  cause: string;
  detail?: Record<string, unknown>;
}

export interface AuditEntry extends NewAuditEntry {
  id: number;
  detail: Record<string, unknown>;
}

export interface AuditQuery {
  meter?: string;
  action?: string;
  /** Only rows with id > afterId (default 0). */
  afterId?: number;
  /** At most this many rows, oldest first (default 1000). */
  limit?: number;
}

export interface Mismatch {
  meter: string;
  /** The stored balance (or, with entryId, that entry's stored balance_after). */
  stored: number;
  /** The sum of the account's entries (up to and including entryId when set). */
  replay: number;
  entryId?: number;
}

export interface VerifyReport {
  ok: boolean;
  mismatches: Mismatch[];
}
