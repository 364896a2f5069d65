/** The credit section of the e2e tests that send signed commands: one prepaid meter p1 on a flat tariff, one utility key. */
import { readFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ExecutionContext } from 'ava';
import { Simulator } from '@prepaid-edge/simulator';
import { startMosquitto, type Mosquitto } from '@prepaid-edge/testkit/mosquitto';
import { tempDir } from '../store/temp-dir.js';
import { subscribe, type Subscriber } from '../uplink/helpers.js';
import { CLI } from '../helpers/gateway-cli.js';

const run = promisify(execFile);

/** The installed `prepaid-gateway` with `args` (and `input` on stdin); its stdout. */
export async function cli(args: string[], input?: string): Promise<string> {
  const p = run(process.execPath, [CLI, ...args], { timeout: 60_000 });
  if (input !== undefined) p.child.stdin!.end(input);
  return (await p).stdout;
}

/** A message on `.../commands/results`. */
export interface CommandResult {
  status: string;
  id: string | null;
  reason?: string;
  message?: string;
  balance?: number;
  detail?: Record<string, unknown>;
  original?: { status: string; balance?: number };
}

export const FLAT = { id: 'flat', creditUnit: 'currency', currency: 'EUR', subunitsPerUnit: 1000, periods: [{ id: 'flat', pricePerKwh: 300 }], tou: [], defaultPeriod: 'flat', standingChargePerDay: 0 };
export const STRICT = { id: 'strict', lowCreditThresholds: [1500, 600], emergencyCredit: null, friendly: { windows: [], holidays: [] }, disconnectNoticeMs: 0, maxDebt: 0, reconnect: { mode: 'auto', threshold: 100 } };

/** `credit:` for meter p1, trusting `<keysDir>/<keyId>.public.pem` (written by `command keygen`). */
export function oneMeterCredit(keysDir: string, keyId: string, openingBalance: number): Record<string, unknown> {
  return {
    tariffs: { flat: FLAT },
    policies: { strict: STRICT },
    classes: { residential: { tariff: 'flat', policy: 'strict' } },
    accounts: [{ meter: 'p1', customer: 'C-1', class: 'residential', openingBalance }],
    keys: [{ keyId, publicKey: readFileSync(join(keysDir, `${keyId}.public.pem`), 'utf8') }],
    chargeEveryMs: 1000,
  };
}

/** What the command e2e tests start with: a temp dir, a real mosquitto and a subscriber, simulated prepaid meters on Modbus TCP (stopped in teardown). */
export async function commandBench(t: ExecutionContext, seed: string, watts: number[]): Promise<{ dir: string; broker: Mosquitto; sub: Subscriber; sim: Simulator; port: number }> {
  const dir = tempDir(t);
  const broker = await startMosquitto(t);
  const sub = await subscribe(t, broker.url);
  const sim = new Simulator({ profile: 'prepaid', meters: watts.length, seed });
  watts.forEach((w, i) => sim.setLoad(i + 1, { type: 'constant', watts: w }));
  const port = await sim.listenTcp(0);
  t.teardown(() => sim.close());
  return { dir, broker, sub, sim, port };
}
