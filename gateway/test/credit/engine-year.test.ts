/**
 * Ledger reconciliation over a year: 525,600 one-minute readings of a ToU + tiered tariff go through
 * the credit engine into a real SQLite ledger. The consumption booked must equal the exact per-Wh
 * integral (every Wh priced at its instant) to the sub-unit, the standing charges one per local day,
 * and the stored balance the replay of the entries — with the day-long booking cadence and with
 * postings coalesced, as in production.
 */
import test from 'ava';
import { systemClock } from '@prepaid-edge/protocols';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Tariff, TariffVersion } from '../../src/core/credit/contracts.js';
import { COMMAND_DEFAULTS, type CreditConfig } from '../../src/core/config/gateway-config.js';
import { CreditEngine } from '../../src/adapters/credit/credit-engine.js';
import { parsePolicy } from '../../src/core/policy/index.js';
import { localParts, parseTariff } from '../../src/core/tariff/index.js';
import { openLedger } from '../../src/adapters/store/ledger/index.js';
import type { NewEvent } from '../../src/core/model.js';
import { quietLog } from '../uplink/helpers.js';
import { seeded } from '@prepaid-edge/testkit/seeded';
import { ReferencePricer } from './tariff/reference.js';

const example = JSON.parse(readFileSync(new URL('../../../examples/tariffs/tou-tiered.json', import.meta.url), 'utf8')) as Tariff;
const ZONE = 'Asia/Shanghai';
const START = Date.UTC(2025, 0, 1, 0, 0, 30);
const READINGS = 525_600;
const FIRST_WH = 4_000_000;
const versions: TariffVersion[] = [{ activeFrom: 0, tariff: parseTariff(example) }];

function* readings(): Generator<{ ts: number; wh: number }> {
  const rnd = seeded(2025);
  let wh = FIRST_WH;
  for (let i = 0; i <= READINGS; i++) {
    const hour = (i / 60) % 24;
    const watts = 300 + (hour > 17 && hour < 23 ? 1200 : 0) + rnd() * 600;
    if (i > 0) wh += Math.floor(watts / 60 + rnd());
    yield { ts: START + i * 60_000 + Math.floor(rnd() * 10_000), wh };
  }
}

test('a year of 1-minute ToU + tiered readings through the engine and ledger: consumption == exact integral to the sub-unit', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pe-year-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const ledger = await openLedger(join(dir, 'gw.db'), { synchronous: 'normal' });
  t.teardown(() => ledger.close());
  const policy = parsePolicy({ id: 'p', lowCreditThresholds: [2, 1], emergencyCredit: null, friendly: { windows: [], holidays: [] }, disconnectNoticeMs: 0, maxDebt: 0, reconnect: { mode: 'auto', threshold: 0 } });
  const config: CreditConfig = {
    tariffs: { t: versions },
    policies: { p: policy },
    classes: { c: { tariff: 't', policy: 'p' } },
    accounts: [{ meter: 'm1', customer: 'C-1', customerClass: 'c', creditUnit: 'currency', currency: example.currency!, openingBalance: 1_000_000_000_000 }],
    keys: [],
    commands: COMMAND_DEFAULTS,
    chargeEveryMs: 86_400_000,
  };
  let now = START;
  const events: NewEvent[] = [];
  const engine = new CreditEngine({ config, zone: ZONE, ledger, clock: { ...systemClock, now: () => now }, log: quietLog(), event: (e) => events.push(e), publishCredit: () => {}, relayFor: () => undefined });
  await engine.start();

  const ref = new ReferencePricer(versions, ZONE, 0, 0);
  let first = true;
  let last: { ts: number; wh: number } | undefined;
  const days = new Set<string>();
  const t0 = performance.now();
  for (const r of readings()) {
    now = r.ts;
    if (first) ref.read(r.ts, 0), (ref.totalWh = 0), (ref.totalMilli = 0), (ref.monthWh = 0);
    else ref.read(r.ts, r.wh - FIRST_WH);
    first = false;
    days.add(localParts(r.ts, ZONE).date);
    await engine.onReading({ meter: 'm1', ts: r.ts, values: { energyImport: r.wh } });
    last = r;
  }
  // A day later with no more energy: the cadence books everything still pending.
  now = last!.ts + 86_400_001;
  days.add(localParts(now, ZONE).date);
  await engine.onReading({ meter: 'm1', ts: now, values: { energyImport: last!.wh } });
  await engine.stop();
  const ms = performance.now() - t0;

  const entries = await ledger.entries('m1', { limit: 1_000_000 });
  const consumption = entries.filter((e) => e.kind === 'consumption').reduce((s, e) => s - e.amount, 0);
  const standing = entries.filter((e) => e.kind === 'standing-charge');
  const acct = (await ledger.account('m1'))!;
  t.log(`${READINGS} readings in ${(ms / 1000).toFixed(1)} s (${((ms * 1000) / READINGS).toFixed(1)} µs each); ${entries.length} entries; ${ref.totalWh} Wh; consumption ${consumption}; remainder carried ${acct.cursor!.remainderMilli}/1000`);
  t.is(acct.cursor!.lastWh - FIRST_WH, ref.totalWh, 'every Wh accounted for');
  t.is(consumption, Math.floor(ref.totalMilli / 1000), 'consumption == exact per-Wh integral, to the sub-unit');
  t.is(acct.cursor!.remainderMilli, ref.totalMilli % 1000, 'the fraction left is carried, not lost');
  t.is(standing.length, days.size - 1, 'one standing charge per local day after the first');
  t.true(standing.every((e) => e.amount === -example.standingChargePerDay));
  t.is(acct.balance, 1_000_000_000_000 - consumption - standing.length * example.standingChargePerDay);
  t.true((await ledger.verify()).ok, 'stored balance == replay of the entries');
  t.is(events.filter((e) => e.type === 'tripped').length, 0);
});
