export { parsePolicy } from './parse-policy.js';
export { inFriendlyPeriod, friendlyPeriodEnd } from './friendly.js';
export { evaluate } from './evaluate.js';
export { allocateTopUp, type TopUpAllocation } from './allocate-top-up.js';
export { daysOfCreditLeft } from './days-of-credit.js';
export { lowCreditWarnings } from './warnings.js';
export { initialAccountState, type EvaluateInput, type PolicyDecisionWithEntries, type PolicyEventType } from './types.js';
export { localTime, type LocalTime } from './local-time.js';
