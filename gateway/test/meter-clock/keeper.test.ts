/**
 * The gateway keeps its meters' clocks: a Gateway (in-process) polls simulated meters and its clock
 * is moved against theirs (its wall time = the host's + an offset the test changes: a meter behind,
 * an NTP step, a Pi that booted in 1970). What the meters' clocks hold is read back from the meters
 * (the prepaid firmware's clock register through the gateway's own read, the DL/T 645 meter's clock
 * from the simulator).
 */
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { systemClock, type Clock } from '@prepaid-edge/protocols';
import { Simulator } from '@prepaid-edge/simulator';
import { ptyPair } from '@prepaid-edge/testkit/pty-pair';
import { testWith } from '@prepaid-edge/testkit/system-tools';
import type { NewEvent } from '../../src/core/model.js';
import type { Gateway } from '../../src/app/runtime.js';
import { configOf, rawConfig, startGateway } from '../e2e/rig.js';
import { tempDir } from '../store/temp-dir.js';
import test from 'ava';

const serialTest = testWith(['socat']);

/** The host's clock shifted by `offset.ms` (wall only: monotonic time never jumps). */
function shiftedClock(offset: { ms: number }): Clock {
  return { ...systemClock, now: () => Date.now() + offset.ms };
}

async function until<T>(what: string, fn: () => T | undefined, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const gatewayOn = (t: ExecutionContext, raw: Record<string, unknown>, clock: Clock, events: NewEvent[]): Promise<Gateway> => startGateway(t, configOf(raw), { clock, events });

const clocks = (events: NewEvent[], cause?: string) => events.filter((e) => e.type === 'meter-clock' && (!cause || e.data?.cause === cause));
const near = (t: ExecutionContext, got: unknown, want: number, tol: number, what: string) => t.true(typeof got === 'number' && Math.abs(got - want) <= tol, `${what}: ${String(got)} not within ${tol} of ${want}`);

test('prepaid meter: drift measured and the clock set at start; after an NTP step of the gateway clock every meter is set at once; a restart only measures', async (t) => {
  t.timeout(60_000);
  const sim = new Simulator({ profile: 'prepaid', meters: 2, seed: 'meter-clocks' });
  const port = await sim.listenTcp(0);
  t.teardown(() => sim.close());
  const offset = { ms: 90_000 }; // the gateway is 90 s ahead: the meters look 90 s behind
  const events: NewEvent[] = [];
  const raw = rawConfig('gw-clock', join(tempDir(t), 'gw.db'), 'mqtt://127.0.0.1:1', {
    buses: [{ id: 'tcp1', type: 'tcp', host: '127.0.0.1', port }],
    meters: [1, 2].map((u) => ({ id: `p${u}`, bus: 'tcp1', unit: u, profile: 'prepaid', pollMs: 1000 })),
    meterClocks: { checkMs: 1000, maxDriftMs: 2000 },
  });
  const gw = await gatewayOn(t, raw, shiftedClock(offset), events);
  const first = await until('both meters set at start', () => (clocks(events, 'start').length >= 2 ? clocks(events, 'start') : undefined));
  for (const e of first) {
    t.like(e.data, { kind: 'prepaid', set: true, bus: 'tcp1' });
    near(t, e.data!.driftMs, -90_000, 1500, `${e.meter} drift at start`);
  }
  const status = (await gw.status()).meterClocks ?? [];
  t.deepEqual(status.map((d) => d.meter).sort(), ['p1', 'p2'], 'the drift of each meter is in the status');
  for (const d of status) near(t, d.driftMs, -90_000, 1500, `${d.meter} drift in the status`);

  offset.ms += 3_600_000; // NTP steps the gateway's clock an hour forward
  const step = await until('the step seen', () => events.find((e) => e.type === 'gateway-clock-step'));
  near(t, step.data!.stepMs, 3_600_000, 1500, 'step');
  const after = await until('both meters set after the step', () => (clocks(events, 'clock-step').length >= 2 ? clocks(events, 'clock-step') : undefined));
  // The meters were set to the gateway's time at start: now they are exactly the step behind, not step + 90 s.
  for (const e of after) {
    t.like(e.data, { set: true });
    near(t, e.data!.driftMs, -3_600_000, 1500, `${e.meter} drift after the step`);
  }
  await gw.stop('restart');

  const again: NewEvent[] = [];
  const gw2 = await gatewayOn(t, raw, shiftedClock(offset), again);
  const second = await until('both meters looked at after the restart', () => (clocks(again, 'start').length >= 2 ? clocks(again, 'start') : undefined));
  for (const e of second) {
    t.like(e.data, { set: false }, 'within maxDriftMs: measured and reported, not set (a set is an event in the meter log)');
    near(t, e.data!.driftMs, 0, 1500, `${e.meter} drift after the restart`);
  }
  await gw2.stop('end');
});

test('a gateway clock in 1970 (Pi booted without network) never sets a meter; when NTP sets it, every meter is set at once', async (t) => {
  t.timeout(60_000);
  const sim = new Simulator({ profile: 'prepaid', meters: 1, seed: 'meter-clocks-1970' });
  const port = await sim.listenTcp(0);
  t.teardown(() => sim.close());
  const offset = { ms: 3_600_000 - Date.now() }; // 1970-01-01T01:00Z
  const events: NewEvent[] = [];
  const gw = await gatewayOn(
    t,
    rawConfig('gw-1970', join(tempDir(t), 'gw.db'), 'mqtt://127.0.0.1:1', {
      buses: [{ id: 'tcp1', type: 'tcp', host: '127.0.0.1', port }],
      meters: [{ id: 'p1', bus: 'tcp1', unit: 1, profile: 'prepaid', pollMs: 1000 }],
      meterClocks: { checkMs: 1000 },
    }),
    shiftedClock(offset),
    events,
  );
  await new Promise((r) => setTimeout(r, 3000));
  t.true((await gw.status()).meters.some((m) => m.meter === 'p1' && m.latest !== null), 'the meter is polled');
  t.is(clocks(events).length, 0, 'no meter clock touched while the gateway clock is implausible');
  offset.ms = 0;
  const set = await until('the meter set after NTP', () => clocks(events)[0]);
  t.like(set.data, { cause: 'clock-step', set: true });
  near(t, set.data!.driftMs, 0, 60_000, 'the meter kept its own (right) time meanwhile');
  await gw.stop('end');
});

serialTest('DL/T 645 line: the broadcast time sync sets the meters to the gateway time in their local zone', async (t) => {
  t.timeout(60_000);
  const pty = await ptyPair();
  t.teardown(() => pty.close());
  const sim = new Simulator({ profile: 'dlt645', meters: 0, seed: 'dlt-clock', scenario: { utcOffsetMin: 480, meters: [{ units: [3], profile: 'dlt645' }] } });
  await sim.openSerial(pty.a, { baudRate: 9600, parity: 'even' });
  t.teardown(() => sim.close());
  const offset = { ms: 120_000 };
  const events: NewEvent[] = [];
  const gw = await gatewayOn(
    t,
    rawConfig('gw-dlt-clock', join(tempDir(t), 'gw.db'), 'mqtt://127.0.0.1:1', {
      gateway: { id: 'gw-dlt-clock', timezone: 'Asia/Shanghai' },
      buses: [{ id: 'dlt', type: 'dlt645', path: pty.b, baudRate: 9600, parity: 'even', timeoutMs: 1500 }],
      meters: [{ id: 'd3', bus: 'dlt', address: '000000000003', profile: 'dlt645', pollMs: 2000 }],
      meterClocks: { checkMs: 1000 },
    }),
    shiftedClock(offset),
    events,
  );
  const sent = await until('the broadcast', () => clocks(events)[0]);
  t.like(sent.data, { kind: 'dlt645-broadcast', bus: 'dlt', cause: 'start', set: true, driftMs: null });
  t.is(sent.meter, undefined, 'one frame for the whole line');
  await new Promise((r) => setTimeout(r, 300));
  const meterClock = sim.trueState(3).meterClockMs;
  near(t, meterClock - Date.now(), 120_000, 2000, 'meter clock - host clock');
  await gw.stop('end');
});
