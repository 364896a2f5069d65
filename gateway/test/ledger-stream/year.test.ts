/**
 * Issue 15, item 7 (the head end's part): a simulated year of 15-minute readings of two prepaid
 * meters (ToU + tiered tariff, a standing charge per local day, a top-up a month) through the credit
 * engine into a real SQLite ledger, whose stream goes through the real uplink to a real mosquitto,
 * with two broker outages of a simulated month each. The head end's rebuild from the stream alone
 * equals the ledger to the sub-unit, seq gap-free; the ledger's own replay agrees; and the customer
 * statements of every local month (what the utility bills from) chain month to month and add up
 * to the same balances and the same totals by kind.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock } from '@prepaid-edge/protocols';
import { startMosquitto } from '@prepaid-edge/testkit/mosquitto';
import { seeded } from '@prepaid-edge/testkit/seeded';
import { testWith } from '@prepaid-edge/testkit/system-tools';
import type { Tariff } from '../../src/core/credit/contracts.js';
import { COMMAND_DEFAULTS, type CreditConfig } from '../../src/core/config/gateway-config.js';
import { CreditEngine } from '../../src/adapters/credit/credit-engine.js';
import { parsePolicy } from '../../src/core/policy/index.js';
import { parseTariff } from '../../src/core/tariff/index.js';
import { openLedger, readStatement } from '../../src/adapters/store/ledger/index.js';
import { openOutbox } from '../../src/adapters/store/index.js';
import { createUplink } from '../../src/adapters/uplink/index.js';
import { LedgerFeed, uplinkPublisher } from '../../src/adapters/ledger-stream/index.js';
import { tempDir } from '../store/temp-dir.js';
import { mqttCfg, PREFIX, quietLog, subscribe, waitFor } from '../uplink/helpers.js';
import { rebuildOf } from './stream-rig.js';

const tariff = parseTariff(JSON.parse(readFileSync(new URL('../../../examples/tariffs/tou-tiered.json', import.meta.url), 'utf8')) as Tariff);
const ZONE = 'Asia/Shanghai';
const START = Date.UTC(2025, 0, 1, 0, 7);
const STEP = 15 * 60_000;
const STEPS = (365 * 24 * 60_000 * 60) / STEP;
const METERS = ['y1', 'y2'];

testWith(['mosquitto'])('a simulated year, two month-long broker outages: the head end rebuilds every balance from the stream = ledger = the monthly statements, to the sub-unit', async (t) => {
  t.timeout(120_000);
  const broker = await startMosquitto(t);
  const sub = await subscribe(t, broker.url);
  const path = join(tempDir(t), 'gw.db');
  const log = quietLog();
  const ledger = await openLedger(path, { synchronous: 'normal' });
  const policy = parsePolicy({ id: 'p', lowCreditThresholds: [2, 1], emergencyCredit: null, friendly: { windows: [], holidays: [] }, disconnectNoticeMs: 0, maxDebt: 1_000_000_000, reconnect: { mode: 'auto', threshold: 0 } });
  const config: CreditConfig = {
    tariffs: { t: [{ activeFrom: 0, tariff }] },
    policies: { p: policy },
    classes: { c: { tariff: 't', policy: 'p' } },
    accounts: METERS.map((m, i) => ({ meter: m, customer: `C-${i}`, customerClass: 'c', creditUnit: 'currency' as const, currency: tariff.currency!, openingBalance: 100_000_000 })),
    keys: [],
    commands: COMMAND_DEFAULTS,
    chargeEveryMs: 86_400_000,
  };
  let now = START;
  const engine = new CreditEngine({ config, zone: ZONE, ledger, clock: { ...systemClock, now: () => now }, log, event: () => undefined, publishCredit: () => {}, relayFor: () => undefined });
  await engine.start();
  const gwId = 'stream-year';
  const mqtt = mqttCfg(broker.url, { clientId: 'gw-stream-year', reconnectMinMs: 50, reconnectMaxMs: 200 });
  const outbox = await openOutbox({ path, synchronous: 'normal', maxReadings: 100_000, maxBytes: 1 << 28 });
  const uplink = createUplink({ cfg: mqtt, gatewayId: gwId, outbox, log, version: 'test' });
  const feed = new LedgerFeed({ ledger, publisher: uplinkPublisher(uplink), gatewayId: gwId, topic: `${PREFIX}/${gwId}/ledger`, batchSize: mqtt.batchSize, inflight: mqtt.inflight, clock: systemClock, log });
  await feed.start();
  await uplink.start();
  t.teardown(async () => {
    await feed.stop();
    await uplink.stop();
    await outbox.close();
    await ledger.close().catch(() => undefined);
  });

  const rnd = seeded(15);
  const wh = METERS.map(() => 2_000_000);
  const outages = new Map([[Math.floor(STEPS * 0.3), Math.floor(STEPS * 0.3) + 2880], [Math.floor(STEPS * 0.75), Math.floor(STEPS * 0.75) + 2880]]);
  let endOutageAt = -1;
  let month = -1;
  const t0 = performance.now();
  for (let i = 0; i <= STEPS; i++) {
    now = START + i * STEP;
    if (outages.has(i)) {
      await broker.stop();
      endOutageAt = outages.get(i)!;
    }
    if (i === endOutageAt) await broker.restart();
    const m = new Date(now).getUTCMonth();
    if (m !== month) {
      month = m;
      for (const [k, meter] of METERS.entries()) await engine.intake.topUp(meter, 40_000 + k * 1000 + m, { id: `year-topup-${meter}-${m}`, type: 'topup', source: 'test' });
    }
    const hour = (i / 4) % 24;
    for (const [k, meter] of METERS.entries()) {
      wh[k]! += Math.floor(((300 + k * 200 + (hour > 17 && hour < 23 ? 900 : 0) + rnd() * 400) / 4) + rnd());
      await engine.onReading({ meter, ts: now + Math.floor(rnd() * 60_000), values: { energyImport: wh[k]! } });
    }
  }
  now += 86_400_001; // a day later, no more energy: the cadence books what is pending
  for (const [k, meter] of METERS.entries()) await engine.onReading({ meter, ts: now, values: { energyImport: wh[k]! } });
  await engine.stop();
  const ms = performance.now() - t0;

  const accounts = await ledger.accounts();
  const kinds = new Map<string, number>();
  let total = 0;
  for (const meter of METERS) for (const e of await ledger.entries(meter, { limit: 1_000_000 })) kinds.set(e.kind, (kinds.get(e.kind) ?? 0) + 1), total++;
  await waitFor(`the head end has all ${total} entries`, () => rebuildOf(sub, gwId).lastSeq() >= total, 30_000).catch(() => undefined);
  const r = rebuildOf(sub, gwId);
  const s = r.summary();
  t.is(s.lastSeq, total, `every entry arrived (highest ${r.highestSeq()})`);
  t.deepEqual(s.gaps, []);
  t.deepEqual(r.compare(new Map(accounts.map((a) => [a.meter, a.balance]))), [], 'rebuild from the stream = ledger, to the sub-unit');
  t.deepEqual(s.breaks, []);
  t.true((await ledger.verify()).ok, "the ledger's own replay agrees");
  t.true((kinds.get('standing-charge') ?? 0) >= 2 * 364 && (kinds.get('consumption') ?? 0) >= 2 * 364 && kinds.get('topup') === 24, JSON.stringify([...kinds]));
  t.true(uplink.state().connects >= 3, 'the uplink reconnected after each outage');

  // Statements per local month, January 2025 to January 2026 (the last charges fall in it).
  const months = Array.from({ length: 13 }, (_, k) => {
    const y = 2025 + Math.floor(k / 12);
    const mo = (k % 12) + 1;
    const last = new Date(Date.UTC(y, mo, 0)).getUTCDate();
    return { from: `${y}-${String(mo).padStart(2, '0')}-01`, to: `${y}-${String(mo).padStart(2, '0')}-${last}` };
  });
  for (const meter of METERS) {
    const entries = await ledger.entries(meter, { limit: 1_000_000 });
    const byKind = new Map<string, number>();
    for (const e of entries) byKind.set(e.kind, (byKind.get(e.kind) ?? 0) + e.amount);
    const statements = [];
    for (const m of months) statements.push(await readStatement(ledger, { meter, from: m.from, to: m.to, zone: ZONE }));
    for (let k = 1; k < statements.length; k++) t.is(statements[k]!.opening, statements[k - 1]!.closing, `${meter} ${months[k]!.from}: opening = the month before's closing`);
    const first = statements[0]!;
    const last = statements[statements.length - 1]!;
    const rebuilt = r.balances().get(meter) ?? Number.NaN;
    t.is(last.closing, rebuilt, `${meter}: the last statement closes on the head end's rebuilt balance`);
    t.is(last.closing, accounts.find((a) => a.meter === meter)!.balance, `${meter}: and on the ledger's balance`);
    t.is(first.opening + statements.reduce((n, st) => n + st.lines.reduce((x, l) => x + l.amount, 0), 0), last.closing, `${meter}: opening + every line of the year = closing`);
    t.is(statements.reduce((n, st) => n + st.entries, 0), entries.length, `${meter}: every entry is in exactly one month`);
    const linesByKind = new Map<string, number>();
    for (const st of statements) for (const l of st.lines) linesByKind.set(l.kind, (linesByKind.get(l.kind) ?? 0) + l.amount);
    t.deepEqual(Object.fromEntries([...linesByKind].sort()), Object.fromEntries([...byKind].sort()), `${meter}: the statements' totals by kind = the ledger's, to the sub-unit`);
  }
  t.log(`${STEPS} steps x ${METERS.length} meters in ${(ms / 1000).toFixed(1)} s; ${total} entries (${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')}); ${s.duplicates} duplicates dropped; balances ${JSON.stringify(accounts.map((a) => [a.meter, a.balance]))}`);
});
