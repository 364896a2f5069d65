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
import type { RelayDriver } from '../../src/core/credit/contracts.js';
import { initialAccountState } from '../../src/core/policy/index.js';
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
  await a.engine.setPolicyBand('m1', { policy: 'strict', reconnectPriority: 2 }, 'credit rating', { band: 'strict' });
  t.is(a.engine.commandTarget('m1')!.policy.id, 'strict');
  t.deepEqual(events.filter((e) => e.type === 'low-credit').map((e) => e.data?.threshold), [5000, 1000], 'the strict warnings, at once');
  const audit = await a.ledger.auditLog({ meter: 'm1', action: 'policy-band' });
  t.is(audit.length, 1);
  t.deepEqual(audit[0]!.detail, { policy: 'strict', reconnectPriority: 2, band: 'strict' });
  await a.engine.setPolicyBand('m1', { policy: 'strict', reconnectPriority: 2 }, 'credit rating');
  t.is((await a.ledger.auditLog({ meter: 'm1', action: 'policy-band' })).length, 1, 'the same band again changes nothing');
  await a.engine.setPolicyBand('m1', { policy: 'no-such-policy', reconnectPriority: 0 }, 'credit rating');
  t.is(a.engine.commandTarget('m1')!.policy.id, 'strict', 'an unknown policy is ignored');
  await a.engine.stop();
  await a.ledger.close();
  const b = await on([]);
  t.is(b.engine.commandTarget('m1')!.policy.id, 'strict', 'kept in the ledger settings');
  await b.engine.stop();
  await b.ledger.close();
});

test('reconnect priority: at start, disconnected accounts with credit are reconnected best band first (config order without bands)', async (t) => {
  const two: CreditConfig = { ...config, accounts: ['m1', 'm2', 'm3'].map((meter) => ({ meter, customer: meter, customerClass: 'c', creditUnit: 'currency' as const, currency: 'EUR', openingBalance: 0 })) };
  const closed = async (bands: Record<string, number>): Promise<string[]> => {
    const path = join(tempDir(t), 'gw.db');
    const ledger = await openLedger(path);
    for (const a of two.accounts) {
      await ledger.ensureAccount({ meter: a.meter, customer: a.customer, customerClass: 'c', creditUnit: 'currency', currency: 'EUR' }, { ...initialAccountState(), supply: 'disconnected' });
      await ledger.post({ meter: a.meter, ts: Date.now(), entries: [{ kind: 'topup', amount: 5_000, ts: Date.now(), cause: {} }], audit: { action: 'topup', cause: 'test' } });
    }
    for (const [meter, reconnectPriority] of Object.entries(bands)) await ledger.saveSetting(`band/${meter}`, { policy: 'gentle', reconnectPriority }, { ts: Date.now(), meter, action: 'policy-band', cause: 'test' });
    const order: string[] = [];
    const relay = (meter: string): RelayDriver => ({ meter, read: async () => ({ state: 'disconnected' }), set: async (s) => (s === 'connected' && order.push(meter), { state: s }) });
    const engine = new CreditEngine({ config: two, zone: 'UTC', ledger, clock: systemClock, log: quietLog(), event: () => {}, publishCredit: () => {}, relayFor: relay });
    await engine.start();
    await engine.stop();
    await ledger.close();
    return order;
  };
  t.deepEqual(await closed({}), ['m1', 'm2', 'm3']);
  t.deepEqual(await closed({ m1: 2, m2: 0, m3: 1 }), ['m2', 'm3', 'm1']);
});
