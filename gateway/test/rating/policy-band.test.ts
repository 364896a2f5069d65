/** A rating band moves an account to another policy in the credit engine: evaluated at once, audited, kept across a restart. */
import { join } from 'node:path';
import test from 'ava';
import { systemClock } from '@prepaid-edge/protocols';
import { COMMAND_DEFAULTS, type CreditConfig } from '../../src/core/config/gateway-config.js';
import { CreditEngine } from '../../src/adapters/credit/credit-engine.js';
import { parsePolicy } from '../../src/core/policy/index.js';
import { parseTariff } from '../../src/core/tariff/index.js';
import { openLedger } from '../../src/adapters/store/ledger/index.js';
import type { NewEvent } from '../../src/core/model.js';
import { quietLog } from '../uplink/helpers.js';
import { tempDir } from '../store/temp-dir.js';

const tariff = parseTariff({ id: 'flat', creditUnit: 'currency', currency: 'EUR', subunitsPerUnit: 1000, periods: [{ id: 'flat', pricePerKwh: 300 }], tou: [], defaultPeriod: 'flat', standingChargePerDay: 0 });
const base = { emergencyCredit: null, friendly: { windows: [], holidays: [] }, disconnectNoticeMs: 0, maxDebt: 0, reconnect: { mode: 'auto', threshold: 0 } };
const config: CreditConfig = {
  tariffs: { flat: [{ activeFrom: 0, tariff }] },
  policies: { gentle: parsePolicy({ id: 'gentle', lowCreditThresholds: [200, 100], ...base }), strict: parsePolicy({ id: 'strict', lowCreditThresholds: [5000, 1000], ...base, disconnectNoticeMs: 0 }) },
  classes: { c: { tariff: 'flat', policy: 'gentle' } },
  accounts: [{ meter: 'm1', customer: 'C', customerClass: 'c', creditUnit: 'currency', currency: 'EUR', openingBalance: 300 }],
  keys: [],
  commands: COMMAND_DEFAULTS,
  chargeEveryMs: 60_000,
};

test('setPolicyBand: the band policy applies at once (its warnings), is audited and survives a restart', async (t) => {
  const path = join(tempDir(t), 'gw.db');
  const on = async (events: NewEvent[]) => {
    const ledger = await openLedger(path);
    const engine = new CreditEngine({ config, zone: 'UTC', ledger, clock: systemClock, log: quietLog(), event: (e) => events.push(e), publishCredit: () => {}, relayFor: () => undefined });
    await engine.start();
    return { ledger, engine };
  };
  const events: NewEvent[] = [];
  const a = await on(events);
  t.is(a.engine.commandTarget('m1')!.policy.id, 'gentle');
  t.deepEqual(events.filter((e) => e.type === 'low-credit'), [], '300 is above both gentle thresholds');
  await a.engine.setPolicyBand('m1', 'strict', 'credit rating', { band: 'strict' });
  t.is(a.engine.commandTarget('m1')!.policy.id, 'strict');
  t.deepEqual(events.filter((e) => e.type === 'low-credit').map((e) => e.data?.threshold), [5000, 1000], 'the strict warnings, at once');
  const audit = await a.ledger.auditLog({ meter: 'm1', action: 'policy-band' });
  t.is(audit.length, 1);
  t.deepEqual(audit[0]!.detail, { policy: 'strict', band: 'strict' });
  await a.engine.setPolicyBand('m1', 'strict', 'credit rating');
  t.is((await a.ledger.auditLog({ meter: 'm1', action: 'policy-band' })).length, 1, 'the same band again changes nothing');
  await a.engine.setPolicyBand('m1', 'no-such-policy', 'credit rating');
  t.is(a.engine.commandTarget('m1')!.policy.id, 'strict', 'an unknown policy is ignored');
  await a.engine.stop();
  await a.ledger.close();
  const b = await on([]);
  t.is(b.engine.commandTarget('m1')!.policy.id, 'strict', 'kept in the ledger settings');
  await b.engine.stop();
  await b.ledger.close();
});
