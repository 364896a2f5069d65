/**
 * `npm start`: the whole thing on one machine. Simulated meters (Modbus TCP on loopback), the
 * gateway, an embedded MQTT broker, and a subscriber that counts what reached the "utility";
 * a live table shows meters, values, health and forwarding state. Ctrl-C stops everything.
 */
import { mkdirSync } from 'node:fs';
import mqtt from 'mqtt';
import { Simulator } from '@prepaid-edge/simulator';
import { parseConfig } from '../config/load-config.js';
import { createLogger } from '../log.js';
import { Gateway } from '../runtime.js';
import { startEmbeddedBroker } from './embedded-broker.js';
import { renderDemoTable } from './demo-table.js';

const dataDir = process.env.DEMO_DATA_DIR ?? 'data';
mkdirSync(dataDir, { recursive: true });
const broker = await startEmbeddedBroker(Number(process.env.MQTT_PORT ?? 0));
const sim = new Simulator({ profile: 'sdm630', meters: 5, seed: 2026, scenario: { meters: [{ units: [4, 5], profile: 'prepaid' }, { units: [3], faults: [{ type: 'badCrc', rate: 0.1 }] }] } });
const simPort = await sim.listenTcp(0);

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
`,
  'demo',
);
const gw = new Gateway(cfg, { log: createLogger({ level: process.env.LOG_LEVEL ?? 'warn', gateway: cfg.gateway.id }) });
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

const draw = async () => {
  const table = renderDemoTable(await gw.status(), received, { broker: broker.url, simPort });
  process.stdout.write(process.stdout.isTTY ? '\x1b[H\x1b[2J' + table + '\n' : table + '\n\n');
};
const timer = setInterval(() => void draw(), process.stdout.isTTY ? 1000 : 5000);
await draw();

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  clearInterval(timer);
  await gw.stop('demo stopped');
  utility.end(true);
  await sim.close();
  await broker.close();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
if (process.env.DEMO_SECONDS) setTimeout(() => void stop(), Number(process.env.DEMO_SECONDS) * 1000);
