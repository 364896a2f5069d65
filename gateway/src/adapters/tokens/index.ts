export { acceptStsToken, type StsAcceptInput, type StsAcceptResult, type StsEffect, type StsRejectReason } from './sts-acceptor.js';
export { readStsMemory, emptyStsMemory, type StsTokenMemory } from './sts-memory.js';
export {
  acceptOpenPaygoToken,
  DAY_MS,
  type OpenPaygoAcceptInput,
  type OpenPaygoAcceptResult,
  type OpenPaygoEffect,
  type OpenPaygoRejectCode,
} from './openpaygo-acceptor.js';
export { readOpenPaygoMemory, type OpenPaygoTokenMemory } from './openpaygo-memory.js';
export { applyTimeEffect, hasTimeCredit, type TimeCredit } from './time-credit.js';
export { OPENPAYGO_MODES, modeOf, type OpenPaygoMode } from './openpaygo-modes.js';
export { stsDeriveKey, stsDecode, stsEncode, stsTokenToJson } from './sts-cli.js';
export { openPaygoEncode, openPaygoDecode } from './openpaygo-cli.js';
export { TokenCliError } from './cli-input.js';
