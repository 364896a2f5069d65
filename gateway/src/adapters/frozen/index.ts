export { FrozenKeeper, type FrozenKeeperDeps, type FrozenPayload } from './frozen-keeper.js';
