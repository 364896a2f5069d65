/**
 * A signed command is acknowledged to the broker (PUBACK) only once it is applied: a gateway that
 * dies between receiving a top-up and committing it leaves the command with the broker, which
 * delivers it again when the gateway reconnects with its persistent session — the top-up is
 * credited after the crash instead of never. Real mosquitto; the crash is the socket torn down
 * with no DISCONNECT, as a SIGKILL or a power cut leaves it.
 */
import { join } from 'node:path';
import { connect, type MqttClient } from 'mqtt';
import test, { type ExecutionContext } from 'ava';
import { startMosquitto } from '@prepaid-edge/testkit/mosquitto';
import { testWith } from '@prepaid-edge/testkit/system-tools';
import { openOutbox } from '../../src/adapters/store/index.js';
import { createUplink, type Uplink } from '../../src/adapters/uplink/index.js';
import { tempDir } from '../store/temp-dir.js';
import { mqttCfg, PREFIX, quietLog, waitFor } from './helpers.js';

const GW = 'gw-ack';
const TOPIC = `${PREFIX}/${GW}/commands`;

async function uplinkFor(t: ExecutionContext, url: string, clientId: string): Promise<Uplink> {
  const outbox = await openOutbox({ path: join(tempDir(t), 'outbox.db'), maxReadings: 1000, maxBytes: 1 << 20, synchronous: 'normal' });
  const u = createUplink({ cfg: mqttCfg(url, { clientId }), gatewayId: GW, outbox, log: quietLog(), version: 'test' });
  t.teardown(async () => {
    await u.stop().catch(() => undefined);
    await outbox.close();
  });
  return u;
}

/** Tear the connection down as a crash does: no DISCONNECT, no PUBACK for what is pending. */
function crash(u: Uplink): void {
  const client = (u as unknown as { client: MqttClient }).client;
  (client as unknown as { stream: { destroy(): void } }).stream.destroy();
  void u.stop().catch(() => undefined);
}

async function send(url: string, payload: string): Promise<void> {
  const c = connect(url, { clientId: `head-end-${Date.now()}` });
  await new Promise<void>((r) => c.once('connect', () => r()));
  await c.publishAsync(TOPIC, payload, { qos: 1 });
  await c.endAsync();
}

testWith(['mosquitto'])('a command not yet applied when the gateway dies is delivered again after the restart; one applied is not', async (t) => {
  const broker = await startMosquitto(t);
  const clientId = `gw-ack-${process.pid}`;

  // First life: the command arrives, its application never finishes (the process dies first).
  const first = await uplinkFor(t, broker.url, clientId);
  const seen1: string[] = [];
  first.on('command', (_t, p, settle) => {
    seen1.push(p.toString());
    settle(new Promise(() => undefined));
  });
  await first.start();
  await waitFor('first connected', () => first.state().connected);
  await send(broker.url, '{"id":"topup-1"}');
  await waitFor('the first life received the command', () => seen1.length === 1);
  crash(first);

  // Second life, same client id and persistent session: the broker delivers it again; applied at once.
  const second = await uplinkFor(t, broker.url, clientId);
  const seen2: string[] = [];
  second.on('command', (_t, p, settle) => {
    seen2.push(p.toString());
    settle(Promise.resolve('applied'));
  });
  await second.start();
  await waitFor('the command delivered again after the crash', () => seen2.includes('{"id":"topup-1"}'), 15_000);
  // A command applied in this life is acknowledged: it does not come back in the next one.
  await send(broker.url, '{"id":"topup-2"}');
  await waitFor('topup-2 applied', () => seen2.includes('{"id":"topup-2"}'));
  await new Promise((r) => setTimeout(r, 300)); // the PUBACKs reach the broker
  crash(second);

  const third = await uplinkFor(t, broker.url, clientId);
  const seen3: string[] = [];
  third.on('command', (_t, p, settle) => {
    seen3.push(p.toString());
    settle(Promise.resolve());
  });
  await third.start();
  await waitFor('third connected', () => third.state().connected);
  await send(broker.url, '{"id":"probe"}');
  await waitFor('the probe arrived', () => seen3.includes('{"id":"probe"}'));
  t.deepEqual(seen3, ['{"id":"probe"}'], 'nothing applied before was delivered again');
  t.deepEqual(seen1, ['{"id":"topup-1"}']);
});
