/**
 * A mixed RS-485 line for DL/T 645 tests: the simulator on one end of a socat pty pair with two
 * Modbus SDM120 meters (units 1, 2) and two DL/T 645 meters (000000000003, 000000000004) on a hand-moved clock.
 */
import type { ExecutionContext } from 'ava';
import { ManualClock } from '@prepaid-edge/protocols';
import { Simulator } from '@prepaid-edge/simulator';
import { Dlt645Master, type Dlt645MasterOptions } from '../../src/adapters/acquisition/dlt645-master.js';
import type { Dlt645BusConfig } from '../../src/core/config/gateway-config.js';
import { ptyPair } from '@prepaid-edge/testkit/pty-pair';

export const DLT_A = '000000000003';
export const DLT_B = '000000000004';

export interface Dlt645Rig {
  sim: Simulator;
  clock: ManualClock;
  bus: Dlt645BusConfig;
  master: Dlt645Master;
}

export async function dlt645Rig(t: ExecutionContext, over: Partial<Dlt645BusConfig> = {}, opts: Dlt645MasterOptions = {}): Promise<Dlt645Rig> {
  const pty = await ptyPair();
  t.teardown(() => pty.close());
  const clock = new ManualClock({ now: Date.UTC(2026, 2, 2, 18) });
  const sim = new Simulator({
    profile: 'sdm120',
    meters: 2,
    clock,
    seed: 'gw-dlt645',
    scenario: { meters: [{ units: [3, 4], profile: 'dlt645', load: { type: 'constant', watts: 1800 } }] },
  });
  await sim.openSerial(pty.a, { baudRate: 9600, parity: 'even' });
  t.teardown(() => sim.close());
  const bus: Dlt645BusConfig = { id: 'dlt', type: 'dlt645', path: pty.b, baudRate: 9600, parity: 'even', stopBits: 1, timeoutMs: 1500, interFrameDelayMs: 0, ...over };
  const master = new Dlt645Master(bus, opts);
  t.teardown(() => master.close());
  return { sim, clock, bus, master };
}
