/**
 * 18 days of simulated time on two firmware meters polled every 15 minutes, on the ToU + tiered
 * tariff of gateway/examples (peak/valley, three monthly tiers from the 15th, holidays, standing
 * charge), in Asia/Shanghai: the ledger's consumption charges equal, to the sub-unit, an independent
 * per-Wh reference priced from the readings the outbox stored.
 */
import test from 'ava';
import { allEntries, assertLedgerReconciles, creditRig } from './rig.js';
import { KEYS } from './signer.js';
import { ReferencePricer } from '../tariff/reference.js';
import type { StoredReading } from '../../../src/core/model.js';

const DAY = 24 * 3_600_000;

test('18 days, ToU + tiers, 2 meters at 15-minute polls: charged == per-Wh reference from the stored readings', async (t) => {
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  const policy = { id: 'p', lowCreditThresholds: [300_000, 100_000], emergencyCredit: null, friendly: { windows: [], holidays: [] }, disconnectNoticeMs: 0, maxDebt: 0, reconnect: { mode: 'auto', threshold: 100 } };
  const rig = await creditRig(t, {
    meters: 2,
    // p1 uses ~450 kWh between 28 Sep and the billing day: all three tiers.
    loads: [1100, 450],
    tickMs: 60_000,
    // 2024-09-28 00:00 to 2024-10-16 00:00 in Shanghai: the October holidays and the billing day (the 15th).
    start: Date.UTC(2024, 8, 27, 16),
    timezone: 'Asia/Shanghai',
    pollMs: 15 * 60_000,
    credit: {
      tariffs: { tt: { file: 'tariffs/tou-tiered.json' } },
      policies: { p: policy },
      classes: { r: { tariff: 'tt', policy: 'p' } },
      accounts: [
        { meter: 'p1', customer: 'C-1', class: 'r', openingBalance: 100_000_000 },
        { meter: 'p2', customer: 'C-2', class: 'r', openingBalance: 100_000_000 },
      ],
      keys: KEYS,
    },
  });
  await rig.run(18 * DAY);

  const stored: StoredReading[] = [];
  for (;;) {
    const page = await rig.outbox.pendingReadings(1000, stored.at(-1)?.id ?? 0);
    stored.push(...page);
    if (page.length < 1000) break;
  }
  t.is(stored.length, rig.readings.length, 'every reading is in the outbox');
  const zone = rig.cfg.gateway.timezone;
  for (const meter of ['p1', 'p2']) {
    const own = stored.filter((r) => r.meter === meter).sort((a, b) => a.ts - b.ts);
    const first = own[0]!;
    const ref = new ReferencePricer(rig.credit.engine.tariffFor(meter), zone, first.ts, first.values.energyImport!);
    for (const r of own.slice(1)) ref.read(r.ts, r.values.energyImport!);
    const entries = await allEntries(rig.credit.ledger, meter);
    const charged = entries.filter((e) => e.kind === 'consumption').reduce((s, e) => s - e.amount, 0);
    const standing = entries.filter((e) => e.kind === 'standing-charge');
    t.log(`${meter}: ${own.length} readings, ${ref.totalWh} Wh, charged ${charged}, reference ${ref.totalMilli / 1000}, ${standing.length} standing charges`);
    t.is(charged, Math.floor(ref.totalMilli / 1000), `${meter}: consumption charged == reference`);
    t.is(standing.length, 18, `${meter}: one standing charge per local day`);
    t.true(standing.every((e) => e.amount === -1000));
    const tiers = new Set(entries.filter((e) => e.kind === 'consumption').flatMap((e) => (e.cause.lines as Array<[string, number]>).map((l) => `${l[0]}/${l[1]}`)));
    if (meter === 'p1') t.deepEqual([...tiers].sort(), ['peak/0', 'peak/1', 'peak/2', 'valley/0', 'valley/1', 'valley/2'], 'both periods, all three tiers');
  }
  t.true(rig.relayClosed(1) && rig.relayClosed(2));
  await assertLedgerReconciles(t, rig.credit.ledger);
  const wall = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu0);
  const cpu = (used.user + used.system) / 1e6;
  t.log(`${wall.toFixed(1)} s wall, ${cpu.toFixed(1)} s CPU`);
  // CPU time, not wall time: the budget holds however loaded the machine running the suite is.
  t.true(cpu < 30, `ran in ${cpu.toFixed(1)} s of CPU`);
});
