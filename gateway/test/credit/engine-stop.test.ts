/**
 * A clean stop books what was priced but not yet booked, without running the rules (no relay can
 * be driven once the buses are closed); the next start runs them on the booked balance.
 */
import test from 'ava';
import { systemClock } from '@prepaid-edge/protocols';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMAND_DEFAULTS, type CreditConfig } from '../../src/core/config/gateway-config.js';
import { CreditEngine } from '../../src/adapters/credit/credit-engine.js';
import type { RelayDriver, SupplyState } from '../../src/core/credit/contracts.js';
import { parsePolicy } from '../../src/core/policy/index.js';
import { parseTariff } from '../../src/core/tariff/index.js';
import { openLedger } from '../../src/adapters/store/ledger/index.js';
import { quietLog } from '../uplink/helpers.js';

const tariff = parseTariff({ id: 'flat', creditUnit: 'currency', currency: 'EUR', subunitsPerUnit: 1000, periods: [{ id: 'flat', pricePerKwh: 300 }], tou: [], defaultPeriod: 'flat', standingChargePerDay: 0 });
const policy = parsePolicy({ id: 'p', lowCreditThresholds: [200, 100], emergencyCredit: null, friendly: { windows: [], holidays: [] }, disconnectNoticeMs: 0, maxDebt: 0, reconnect: { mode: 'auto', threshold: 0 } });
const config: CreditConfig = {
  tariffs: { flat: [{ activeFrom: 0, tariff }] },
  policies: { p: policy },
  classes: { c: { tariff: 'flat', policy: 'p' } },
  accounts: [{ meter: 'm1', customer: 'C', customerClass: 'c', creditUnit: 'currency', currency: 'EUR', openingBalance: 300 }],
  keys: [],
  commands: COMMAND_DEFAULTS,
  chargeEveryMs: 3_600_000,
};

test('stop books pending charges (no rules, no relay); the next start enforces them', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pe-stop-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'gw.db');
  const commands: SupplyState[] = [];
  const relay: RelayDriver = { meter: 'm1', read: async () => ({ state: 'connected' }), set: async (s) => (commands.push(s), { state: s }) };
  let now = Date.UTC(2026, 0, 5, 12);
  const engineOn = async () => {
    const ledger = await openLedger(path, { synchronous: 'normal' });
    const engine = new CreditEngine({ config, zone: 'UTC', ledger, clock: { ...systemClock, now: () => now }, log: quietLog(), event: () => {}, publishCredit: () => {}, relayFor: () => relay });
    await engine.start();
    return { ledger, engine };
  };
  const a = await engineOn();
  await a.engine.onReading({ meter: 'm1', ts: now, values: { energyImport: 10_000 } });
  // 400 Wh over 10 minutes = 120 milli-EUR: still in credit (300 - 120 = 180), not yet due for booking.
  for (let i = 1; i <= 10; i++) {
    now += 60_000;
    await a.engine.onReading({ meter: 'm1', ts: now, values: { energyImport: 10_000 + 40 * i } });
  }
  const beforeStop = (await a.ledger.entries('m1')).filter((e) => e.kind === 'consumption');
  t.is(beforeStop.length, 1, 'the warning at 200 forced one booking; the rest is pending');
  await a.engine.stop();
  const booked = (await a.ledger.entries('m1')).filter((e) => e.kind === 'consumption').reduce((s, e) => s - e.amount, 0);
  t.is(booked, 120, 'everything priced is booked at stop');
  t.is((await a.ledger.account('m1'))!.cursor!.lastWh, 10_400);
  await a.ledger.close();

  // Another 800 Wh were used while the gateway was down: the first reading after the start charges
  // them from the booked cursor and the rules trip at once.
  now += 3_600_000;
  const b = await engineOn();
  await b.engine.onReading({ meter: 'm1', ts: now, values: { energyImport: 11_200 } });
  await b.engine.idle();
  t.deepEqual(commands, ['disconnected']);
  t.is((await b.ledger.account('m1'))!.balance, 300 - 120 - 240);
  t.true((await b.ledger.verify()).ok);
  await b.engine.stop();
  await b.ledger.close();
});
