/** Username/password and (mutual) TLS against a real mosquitto. */
import { join } from 'node:path';
import plainTest, { type ExecutionContext } from 'ava';
import type { MqttConfig } from '../../src/core/config/gateway-config.js';
import { openOutbox } from '../../src/adapters/store/index.js';
import { createUplink } from '../../src/adapters/uplink/index.js';
import { startMosquitto } from '@prepaid-edge/testkit/mosquitto';
import { testWith } from '@prepaid-edge/testkit/system-tools';
import { tempDir } from '../store/temp-dir.js';
import { makeCerts } from './certs.js';
import { mqttCfg, quietLog, subscribe, waitFor } from './helpers.js';

const test = testWith(['mosquitto']);
const tlsTest = testWith(['mosquitto', 'openssl']);

async function uplinkWith(t: ExecutionContext, cfg: MqttConfig, gw: string) {
  const outbox = await openOutbox({ path: join(tempDir(t), 'o.db'), maxReadings: 10_000, maxBytes: 1 << 24, synchronous: 'normal' });
  t.teardown(() => outbox.close());
  await outbox.appendReadings([{ meter: 'm1', ts: 1_763_800_000_000, values: { energyImportWh: 1 } }]);
  const uplink = createUplink({ cfg, gatewayId: gw, outbox, log: quietLog(), version: 't' });
  t.teardown(() => uplink.stop());
  return { outbox, uplink };
}

test('username/password: a wrong password is refused (and retried with backoff), the right one is accepted', async (t) => {
  const broker = await startMosquitto(t, { users: { gw: 's3cret', reader: 'r' } });
  const sub = await subscribe(t, broker.url, { username: 'reader', password: 'r' });

  const wrong = await uplinkWith(t, mqttCfg(broker.url, { username: 'gw', password: 'nope' }), 'gw-badpw');
  await wrong.uplink.start();
  await waitFor('two refused attempts', () => wrong.uplink.state().reconnects >= 2);
  t.like(wrong.uplink.state(), { connected: false, connects: 0 });
  t.regex(wrong.uplink.state().lastError ?? '', /Not authorized|Bad username or password/i);
  await wrong.uplink.stop();

  const anonymous = await uplinkWith(t, mqttCfg(broker.url), 'gw-anon');
  await anonymous.uplink.start();
  await waitFor('anonymous refused', () => anonymous.uplink.state().reconnects >= 1);
  t.is(anonymous.uplink.state().connects, 0);
  await anonymous.uplink.stop();

  const right = await uplinkWith(t, mqttCfg(broker.url, { username: 'gw', password: 's3cret' }), 'gw-goodpw');
  await right.uplink.start();
  await waitFor('reading delivered', () => sub.readings('gw-goodpw').length === 1);
  t.is(right.uplink.state().lastError, null);
});

tlsTest('TLS: CA-verified server certificate plus client certificate (mutual TLS) connects and forwards', async (t) => {
  const certs = makeCerts(tempDir(t));
  const broker = await startMosquitto(t, { tls: { caFile: certs.ca, certFile: certs.serverCert, keyFile: certs.serverKey, requireCertificate: true } });
  const sub = await subscribe(t, broker.url);
  const { uplink } = await uplinkWith(t, mqttCfg(broker.tlsUrl!, { tls: { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey, rejectUnauthorized: true } }), 'gw-mtls');
  await uplink.start();
  await waitFor('reading delivered over mutual TLS', () => sub.readings('gw-mtls').length === 1);
  t.true(uplink.state().connected);
});

tlsTest('TLS: no client certificate where one is required, or a server signed by another CA, never connects', async (t) => {
  const certs = makeCerts(tempDir(t));
  const broker = await startMosquitto(t, { tls: { caFile: certs.ca, certFile: certs.serverCert, keyFile: certs.serverKey, requireCertificate: true } });
  const noCert = await uplinkWith(t, mqttCfg(broker.tlsUrl!, { tls: { ca: certs.ca, rejectUnauthorized: true } }), 'gw-nocert');
  await noCert.uplink.start();
  await waitFor('refused without a client certificate', () => noCert.uplink.state().reconnects >= 2);
  t.is(noCert.uplink.state().connects, 0);
  await noCert.uplink.stop();

  const wrongCa = await uplinkWith(t, mqttCfg(broker.tlsUrl!, { tls: { ca: certs.otherCa, cert: certs.clientCert, key: certs.clientKey, rejectUnauthorized: true } }), 'gw-wrongca');
  await wrongCa.uplink.start();
  await waitFor('server certificate rejected', () => wrongCa.uplink.state().reconnects >= 2);
  t.is(wrongCa.uplink.state().connects, 0);
  t.regex(wrongCa.uplink.state().lastError ?? '', /certificate/i);
});

plainTest('unreadable TLS files or a TLS config on a plain URL fail start() with E_MQTT_CONFIG naming the setting', async (t) => {
  const dir = tempDir(t);
  const missing = join(dir, 'nope', 'ca.pem');
  const a = await uplinkWith(t, mqttCfg('mqtts://127.0.0.1:1', { tls: { ca: missing, rejectUnauthorized: true } }), 'gw-cfg1');
  const e1 = await t.throwsAsync(a.uplink.start());
  t.like(e1, { code: 'E_MQTT_CONFIG', context: { path: 'mqtt.tls.ca', file: missing } });
  t.true(e1!.message.includes(missing));

  const b = await uplinkWith(t, mqttCfg('mqtt://127.0.0.1:1', { tls: { ca: missing, rejectUnauthorized: true } }), 'gw-cfg2');
  t.like(await t.throwsAsync(b.uplink.start()), { code: 'E_MQTT_CONFIG', context: { path: 'mqtt.url' } });
});
