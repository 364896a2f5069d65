/**
 * One simulated prepaid meter (unit 1, no load) on Modbus TCP and an in-process Gateway polling it
 * every 250 ms with one credit account (meter p1, customer C-1) of the given tariff and policy.
 */
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { Simulator, type ProfileName } from '@prepaid-edge/simulator';
import type { NewEvent } from '../../src/core/model.js';
import { configOf, rawConfig, startGateway } from '../e2e/rig.js';
import { tempDir } from '../store/temp-dir.js';
import { KEYS } from '../credit/scenario/signer.js';

export interface PrepaidGatewayOptions {
  id: string;
  seed: string;
  profile?: ProfileName;
  tariff: Record<string, unknown>;
  policy: Record<string, unknown>;
  openingBalance: number;
}

export async function prepaidGateway(t: ExecutionContext, o: PrepaidGatewayOptions) {
  const sim = new Simulator({ profile: o.profile ?? 'prepaid', meters: 1, seed: o.seed });
  sim.setLoad(1, { type: 'constant', watts: 0 });
  const port = await sim.listenTcp(0);
  t.teardown(() => sim.close());
  const events: NewEvent[] = [];
  const credit = { tariffs: { t: o.tariff }, policies: { p: o.policy }, classes: { r: { tariff: 't', policy: 'p' } }, accounts: [{ meter: 'p1', customer: 'C-1', class: 'r', openingBalance: o.openingBalance }], keys: KEYS };
  const cfg = configOf(
    rawConfig(o.id, join(tempDir(t), 'gw.db'), 'mqtt://127.0.0.1:1', {
      buses: [{ id: 'tcp1', type: 'tcp', host: '127.0.0.1', port }],
      meters: [{ id: 'p1', bus: 'tcp1', unit: 1, profile: 'prepaid', pollMs: 250 }],
      credit,
    }),
  );
  const gw = await startGateway(t, cfg, { events });
  /** The configuration (start another gateway on the same database with it: a restart). */
  return { sim, gw, events, cfg };
}
