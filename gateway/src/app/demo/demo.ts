/**
 * `npm start`: the whole thing on one machine. Simulated meters (Modbus TCP on loopback), the
 * gateway, an embedded MQTT broker, and a subscriber that counts what reached the "utility";
 * a live table shows meters, values, health and forwarding state. Ctrl-C stops everything.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import mqtt from 'mqtt';
import { every, systemClock } from '@prepaid-edge/protocols';
import { Simulator } from '@prepaid-edge/simulator';
import { parseConfig } from '../config/load-config.js';
import { createLogger } from '../../adapters/log.js';
import { Gateway } from '../runtime.js';
import { otherOwner } from '../../adapters/store/owner-lock.js';
import { startEmbeddedBroker } from './embedded-broker.js';
import { renderDemoTable, type DemoCommand } from './demo-table.js';
import { rawPublicKey, signCommand } from '../../core/commands/index.js';

const dataDir = process.env.DEMO_DATA_DIR ?? 'data';
mkdirSync(dataDir, { recursive: true });
// Each run starts from fresh simulated meters, so it starts from a fresh ledger and outbox too,
// unless another demo is running on them (its lock file would be deleted under it).
const owner = otherOwner(`${dataDir}/demo-gateway.db`);
if (owner !== undefined) {
  process.stderr.write(`another demo (pid ${owner || '?'}) is running on ${dataDir}/demo-gateway.db; stop it first, or set DEMO_DATA_DIR\n`);
  process.exit(1);
}
for (const f of ['demo-gateway.db', 'demo-gateway.db-wal', 'demo-gateway.db-shm', 'demo-gateway.db.lock', 'demo-gateway.db.owner']) rmSync(`${dataDir}/${f}`, { force: true });
// The utility's command-signing key (a real deployment keeps the private half at the head end).
const utilityKey = generateKeyPairSync('ed25519');
const broker = await startEmbeddedBroker(Number(process.env.MQTT_PORT ?? 0));
const sim = new Simulator({ profile: 'sdm630', meters: 5, seed: 2026, scenario: { meters: [{ units: [4, 5], profile: 'prepaid' }, { units: [3], faults: [{ type: 'badCrc', rate: 0.1 }] }] } });
const simPort = await sim.listenTcp(0);
sim.setLoad(5, { type: 'constant', watts: 2400 });

const cfg = parseConfig(
  `
gateway: { id: demo-gw }
storage: { path: ${JSON.stringify(`${dataDir}/demo-gateway.db`)} }
mqtt: { url: ${broker.url}, topicPrefix: prepaid-edge, healthIntervalMs: 5000 }
buses:
  - { id: bus1, type: tcp, host: 127.0.0.1, port: ${simPort}, timeoutMs: 500 }
meters:
  - { id: shop-1, bus: bus1, unit: 1, profile: sdm630, pollMs: 1000 }
  - { id: shop-2, bus: bus1, unit: 2, profile: sdm630, pollMs: 1000 }
  - { id: garage-3, bus: bus1, unit: 3, profile: sdm630, pollMs: 2000 }
  - { id: flat-4, bus: bus1, unit: 4, profile: prepaid, pollMs: 1000 }
  - { id: flat-5, bus: bus1, unit: 5, profile: prepaid, pollMs: 1000 }
credit:
  # Demo prices are steep so credit visibly drains in a minute: 3 EUR/kWh, amounts in milli-EUR.
  tariffs:
    demo-flat: { id: demo-flat, creditUnit: currency, currency: EUR, subunitsPerUnit: 1000, periods: [{ id: flat, pricePerKwh: 3000 }], tou: [], defaultPeriod: flat, standingChargePerDay: 0 }
  policies:
    demo: { id: demo, lowCreditThresholds: [60, 30], emergencyCredit: null, friendly: { windows: [], holidays: [] }, disconnectNoticeMs: 0, maxDebt: 0, reconnect: { mode: auto, threshold: 100 } }
  classes:
    residential: { tariff: demo-flat, policy: demo }
  accounts:
    - { meter: flat-4, customer: C-1004, class: residential, openingBalance: 20000 }
    - { meter: flat-5, customer: C-1005, class: residential, openingBalance: 100 }
  keys:
    - { keyId: demo-utility, publicKey: ${rawPublicKey(utilityKey.publicKey)} }
  chargeEveryMs: 5000
`,
  'demo',
);
const clock = systemClock;
const gw = new Gateway(cfg, { clock, log: createLogger({ level: process.env.LOG_LEVEL ?? 'warn', gateway: cfg.gateway.id }) });
await gw.start();

// The "utility": a subscriber that counts readings per meter and checks seq continuity.
const utility = mqtt.connect(broker.url, { clientId: 'demo-utility' });
const received = new Map<string, { count: number; lastSeq: number; gaps: number }>();
utility.on('message', (topic, payload) => {
  if (!topic.endsWith('/readings')) return;
  const msg = JSON.parse(payload.toString()) as { meter: string; readings: Array<{ seq: number }> };
  const r = received.get(msg.meter) ?? { count: 0, lastSeq: 0, gaps: 0 };
  for (const x of msg.readings) {
    if (r.lastSeq && x.seq > r.lastSeq + 1) r.gaps++;
    r.lastSeq = Math.max(r.lastSeq, x.seq);
    r.count++;
  }
  received.set(msg.meter, r);
});
utility.subscribe(`${cfg.mqtt.topicPrefix}/${cfg.gateway.id}/#`);

// The utility tops up a tripped customer 10 s after the trip, with a signed command over MQTT.
const commands: DemoCommand[] = [];
const root = `${cfg.mqtt.topicPrefix}/${cfg.gateway.id}`;
utility.on('message', (topic, payload) => {
  if (topic === `${root}/events`) {
    const e = JSON.parse(payload.toString()) as { type: string; meter?: string };
    if (e.type === 'tripped' && e.meter) {
      clock.setTimeout(() => {
        const now = clock.now();
        const cmd = signCommand({ id: randomUUID(), type: 'topup', meter: e.meter!, amount: 500, currency: 'EUR', issuedAt: now, expiresAt: now + 600_000 }, utilityKey.privateKey, 'demo-utility');
        commands.push({ id: cmd.id, meter: e.meter!, what: 'top-up 0.500 EUR', result: 'sent' });
        utility.publish(`${root}/commands`, JSON.stringify(cmd), { qos: 1 });
      }, 10_000, { unref: true });
    }
  } else if (topic === `${root}/commands/results`) {
    const r = JSON.parse(payload.toString()) as { id: string; status: string; balance?: number; reason?: string };
    const c = commands.find((x) => x.id === r.id);
    if (c) c.result = r.status === 'applied' ? `applied, balance ${((r.balance ?? 0) / 1000).toFixed(3)} EUR` : `${r.status} ${r.reason ?? ''}`;
  }
});

const draw = async () => {
  const table = renderDemoTable(await gw.status(), received, { broker: broker.url, simPort }, commands);
  process.stdout.write(process.stdout.isTTY ? '\x1b[H\x1b[2J' + table + '\n' : table + '\n\n');
};
const stopDrawing = every(clock, process.stdout.isTTY ? 1000 : 5000, () => void draw());
await draw();

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  stopDrawing();
  await gw.stop('demo stopped');
  utility.end(true);
  await sim.close();
  await broker.close();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
if (process.env.DEMO_SECONDS) clock.setTimeout(() => void stop(), Number(process.env.DEMO_SECONDS) * 1000);
