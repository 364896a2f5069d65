/**
 * The frozen readings in the running gateway: an in-process Gateway on an injected clock, sdm630
 * meters simulated over Modbus TCP, a real mosquitto. The clock is walked over a local midnight:
 * each meter's daily (and, on the billing day, monthly) snapshot arrives on its frozen topic, its
 * registers the meter's own, and is not sent again after a restart.
 */
import { join } from 'node:path';
import { ManualClock } from '@prepaid-edge/protocols';
import { Simulator } from '@prepaid-edge/simulator';
import { startMosquitto } from '@prepaid-edge/testkit/mosquitto';
import { testWith } from '@prepaid-edge/testkit/system-tools';
import type { FrozenPayload } from '../../src/adapters/frozen/index.js';
import { tempDir } from '../store/temp-dir.js';
import { PREFIX, subscribe, waitFor } from '../uplink/helpers.js';
import { configOf, rawConfig, startGateway } from '../e2e/rig.js';

const test = testWith(['mosquitto']);

test('a running gateway freezes every meter at local midnight (and on the billing day) and forwards it once', async (t) => {
  t.timeout(120_000);
  const broker = await startMosquitto(t);
  const sub = await subscribe(t, broker.url);
  // 23:58 local on 2026-07-31 in Asia/Shanghai (UTC+8); gateway.billingDay 1: the next midnight is also the month's.
  const clock = new ManualClock({ now: Date.parse('2026-07-31T15:58:00Z') });
  const sim = new Simulator({ profile: 'sdm630', meters: 2, seed: 'frozen-gw', clock });
  const port = await sim.listenTcp(0);
  t.teardown(() => sim.close());
  const gwId = 'gw-frozen-run';
  const cfg = configOf(
    rawConfig(gwId, join(tempDir(t), 'gw.db'), broker.url, {
      gateway: { id: gwId, timezone: 'Asia/Shanghai', billingDay: 1 },
      buses: [{ id: 'tcp1', type: 'tcp', host: '127.0.0.1', port, timeoutMs: 500 }],
      meters: [1, 2].map((u) => ({ id: `m${u}`, bus: 'tcp1', unit: u, profile: 'sdm630', pollMs: 30_000 })),
    }),
  );
  let gw = await startGateway(t, cfg, { clock });
  const frozen = () => sub.messages.filter((m) => m.topic.endsWith('/frozen')).map((m) => ({ topic: m.topic, f: m.json as unknown as FrozenPayload }));
  const readingsOf = (m: string) => sub.readings(gwId).filter((r) => r.meter === m);
  // Walk the clock 10 s at a time (the polls, 30 s apart per meter, run on it), giving each step real time for its Modbus I/O.
  const midnight = Date.parse('2026-07-31T16:00:00Z');
  const step = async () => {
    clock.advance(10_000);
    await new Promise((r) => setTimeout(r, 250));
  };
  const pastMidnight = (m: string) => readingsOf(m).some((r) => r.ts >= midnight);
  while (!(pastMidnight('m1') && pastMidnight('m2')) && clock.now() < midnight + 10 * 60_000) await step();
  await waitFor('daily and monthly snapshots of both meters', () => frozen().length >= 4);

  const got = frozen();
  t.deepEqual(got.map((g) => g.f.id).sort(), [`${gwId}/m1/daily/2026-08-01`, `${gwId}/m1/monthly/2026-08`, `${gwId}/m2/daily/2026-08-01`, `${gwId}/m2/monthly/2026-08`]);
  for (const { topic, f } of got) {
    t.is(topic, `${PREFIX}/${gwId}/meters/${f.meter}/frozen`);
    t.is(f.at, midnight);
    t.false(f.late);
    // The registers are those of the first reading at or after midnight, as forwarded on the readings topic.
    const first = readingsOf(f.meter).find((r) => r.ts >= midnight)!;
    t.is(f.readingTs, first.ts);
    t.is(f.registers.energyImport, first.values.energyImport);
    t.false('power' in f.registers);
  }
  t.false(sub.messages.some((m) => m.topic === `${PREFIX}/${gwId}/events` && m.json.type === 'frozen-reading'));

  // A restart on the same file later that day: nothing is frozen again.
  await gw.stop('restart');
  gw = await startGateway(t, cfg, { clock });
  const n = readingsOf('m1').length;
  for (let i = 0; i < 12; i++) await step();
  await waitFor('readings after the restart', () => readingsOf('m1').length > n);
  await new Promise((r) => setTimeout(r, 500));
  t.is(frozen().length, 4, 'no second snapshot of a period after the restart');
});
