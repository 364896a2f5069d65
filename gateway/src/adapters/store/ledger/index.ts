export { openLedger, type Ledger, type LedgerOptions } from './ledger.js';
export { KIND_SIGN } from '../../../core/ledger/validate.js';
export { APPLICATION_ID, LEDGER_SCHEMA_VERSION } from './schema.js';
export type { AuditEntry, AuditQuery, Mismatch, NewAuditEntry, Posting, PostManyResult, PostResult, TokenScheme, VerifyReport } from '../../../core/ledger/types.js';
export { readStatement, statementReportCsv, statementWindow, type StatementQuery, type StatementReport } from './statement-reader.js';
export { LedgerVerifier, VERIFY_EVERY_MS, type VerifyResult } from './verifier.js';
