// Types with generic names get an Sts prefix here so the package barrel stays collision-free.
export { staEncrypt, staDecrypt } from './sta.js';
export { deriveDecoderKeyDkga02, panBlockHex, controlBlockHex, luhnValid, type Dkga02Params } from './dkga02.js';
export {
  decodeAmount,
  encodeAmount,
  encodeAmountTenths,
  unitsToTenths,
  decodePowerLimit,
  encodePowerLimit,
  MAX_AMOUNT_TENTHS,
  type DecodedAmount,
} from './amount.js';
export { tidFromDate, dateFromTid, baseDateMs, MAX_TID, STS_BASE_DATES, type StsBaseDate } from './tid.js';
export { stsCrc } from './crc.js';
export { parseTokenNumber, formatTokenNumber, type TokenNumberParts as StsTokenNumberParts } from './token-number.js';
export { splitBlock, joinBlock, type DataBlock as StsDataBlock } from './data-block.js';
export { decodeToken, openToken, type DecodeOptions as StsDecodeOptions } from './decode-token.js';
export {
  encodeToken,
  buildDataBlock,
  type EncodeTokenInput as StsEncodeInput,
  type EncodeCreditInput,
  type EncodeTestInput,
  type EncodeManagementInput,
  type EncodeRawInput,
  type EncodeOptions as StsEncodeOptions,
} from './encode-token.js';
export { acceptTid, normalizeTidMemory, TID_MEMORY_SIZE, type TidMemory, type TidVerdict } from './tid-memory.js';
export { combineKeyChange, splitNewKey } from './key-change.js';
export { toKeyBytes, type KeyInput as StsKeyInput } from './key-input.js';
export * from './token-types.js';
