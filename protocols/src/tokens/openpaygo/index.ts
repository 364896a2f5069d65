export * from './constants.js';
export * from './types.js';
export { encodeOpenPaygoToken } from './encode.js';
export { decodeOpenPaygoToken } from './decode.js';
export { nextCount } from './count-rules.js';
export { sipHash24, sipHash24Words, type U64 } from './siphash24.js';
export { startingCodeFromKey } from './starting-code.js';
