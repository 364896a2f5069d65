/**
 * The rig of the RS-485 e2e tests: four sdm120 meters on one bus (a socat pty pair) at 9600 8N1,
 * unit 3 dead (never replies) and unit 4 noisy (20% bad CRC), polled by an in-process gateway that
 * publishes to a real mosquitto, with a subscriber; and a measurement window over its readings.
 */
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { Simulator } from '@prepaid-edge/simulator';
import { startMosquitto } from '@prepaid-edge/testkit/mosquitto';
import { ptyPair } from '@prepaid-edge/testkit/pty-pair';
import type { GatewayConfig } from '../../src/core/config/gateway-config.js';
import type { Gateway } from '../../src/app/runtime.js';
import { tempDir } from '../store/temp-dir.js';
import { subscribe, waitFor, type Subscriber } from '../uplink/helpers.js';
import { configOf, rawConfig, sleep, startGateway } from './rig.js';

export interface FourMeterRig {
  gwId: string;
  sub: Subscriber;
  cfg: GatewayConfig;
  gw: Gateway;
  /** Readings of one meter (m1..m4) the subscriber has received so far. */
  perMeter(meter: string): ReturnType<Subscriber['readings']>;
}

/**
 * `gwId` is also the simulator's seed; `bus` and `meter` add settings to the bus line and to every
 * meter (omitted: the shipped defaults).
 */
export async function fourMeterRtuBus(
  t: ExecutionContext,
  gwId: string,
  over: { pollMs: number; bus?: Record<string, unknown>; meter?: Record<string, unknown> },
): Promise<FourMeterRig> {
  const broker = await startMosquitto(t);
  const sub = await subscribe(t, broker.url);
  const pty = await ptyPair();
  t.teardown(() => pty.close());
  const sim = new Simulator({ profile: 'sdm120', meters: 4, seed: gwId, baudRate: 9600, parity: 'none' });
  sim.addFault(3, { type: 'noReply', rate: 1 });
  sim.addFault(4, { type: 'badCrc', rate: 0.2 });
  await sim.openSerial(pty.a);
  t.teardown(() => sim.close());

  const cfg = configOf(
    rawConfig(gwId, join(tempDir(t), 'gw.db'), broker.url, {
      buses: [{ id: 'rs485', type: 'rtu', path: pty.b, baudRate: 9600, parity: 'none', ...over.bus }],
      meters: [1, 2, 3, 4].map((u) => ({ id: `m${u}`, bus: 'rs485', unit: u, profile: 'sdm120', pollMs: over.pollMs, ...over.meter })),
    }),
  );
  const gw = await startGateway(t, cfg);
  const perMeter = (m: string) => sub.readings(gwId).filter((r) => r.meter === m);
  return { gwId, sub, cfg, gw, perMeter };
}

/**
 * Once every live meter (m1, m2, m4) has read, a window of `windowMs`, then `settleMs` for the
 * window's last readings to cross the outbox and the broker. inWindow(m): m's readings stamped in it.
 */
export async function pollWindow(rig: FourMeterRig, windowMs: number, settleMs: number): Promise<{ inWindow(meter: string): number }> {
  await waitFor('first reading of every live meter', () => ['m1', 'm2', 'm4'].every((m) => rig.perMeter(m).length > 0));
  const from = Date.now();
  await sleep(windowMs);
  const to = Date.now();
  await sleep(settleMs);
  return { inWindow: (m) => rig.perMeter(m).filter((r) => r.ts >= from && r.ts < to).length };
}
