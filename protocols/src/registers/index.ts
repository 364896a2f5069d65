export * from './types.js';
export * from './measurements.js';
export { registerWidth } from './raw-words.js';
export { encodeRegisterValue, decodeRegisterValue, isPlausible } from './value-codec.js';
export { validateProfile, PROFILE_SCHEMA_URL } from './validate.js';
export { parseProfile } from './parse.js';
export { loadProfile, loadProfileRevision, listProfiles, PROFILES_DIR_URL } from './load.js';
export { planReads, planPollReads, decodeBlock, encodeBlock, encodeRegisterOrAbsent, type ReadBlock, type PlanOptions, type PollPlan } from './plan.js';
