export { FROZEN_KEEP_MS, FrozenKeeper, type FrozenKeeperDeps, type FrozenPayload } from './frozen-keeper.js';
