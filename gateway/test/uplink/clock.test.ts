/**
 * The uplink's timers on a manual clock, no broker: backoff against a refused port, the connect
 * timeout against a peer that never answers. Real sockets, time moved by hand.
 */
import test from 'ava';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { ManualClock } from '@prepaid-edge/protocols';
import { openOutbox } from '../../src/adapters/store/index.js';
import { createUplink } from '../../src/adapters/uplink/index.js';
import { tempDir } from '../store/temp-dir.js';
import { mqttCfg, quietLog, waitFor } from './helpers.js';

async function rig(t: import('ava').ExecutionContext, url: string, over: { connectTimeoutMs?: number } = {}) {
  const clock = new ManualClock({ now: 1_763_800_000_000 });
  const outbox = await openOutbox({ path: join(tempDir(t), 'outbox.db'), maxReadings: 1000, maxBytes: 1 << 20, synchronous: 'normal' });
  t.teardown(() => outbox.close());
  const uplink = createUplink({
    cfg: mqttCfg(url, { reconnectMinMs: 1000, reconnectMaxMs: 8000 }),
    gatewayId: 'gw-clock',
    outbox,
    log: quietLog(),
    version: 't',
    clock,
    random: () => 1,
    ...over,
  });
  t.teardown(() => uplink.stop());
  return { clock, uplink };
}

/** A port on 127.0.0.1 nothing listens on. */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

const realPause = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a refused connection waits its backoff on the clock, then tries again with the next one', async (t) => {
  const { clock, uplink } = await rig(t, `mqtt://127.0.0.1:${await freePort()}`);
  await uplink.start();
  await waitFor('first attempt refused', () => uplink.state().reconnects >= 1);
  t.is(uplink.state().nextReconnectInMs, 2000, 'attempt 0: 2 x reconnectMinMs, full jitter');
  await realPause(100);
  t.is(uplink.state().reconnects, 1, 'no new attempt while the clock stands still');
  await clock.advanceAsync(1999);
  t.is(uplink.state().nextReconnectInMs, 1);
  t.is(uplink.state().reconnects, 1);
  await clock.advanceAsync(1);
  await waitFor('second attempt refused', () => uplink.state().reconnects >= 2);
  t.is(uplink.state().nextReconnectInMs, 4000, 'attempt 1 doubles');
  t.false(uplink.state().connected);
});

test('no CONNACK within connectTimeoutMs on the clock: the attempt is dropped and retried later', async (t) => {
  const sockets = new Set<Socket>();
  const silent = createServer((s) => sockets.add(s)); // accepts, never answers
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    silent.close();
  });
  const { clock, uplink } = await rig(t, `mqtt://127.0.0.1:${(silent.address() as { port: number }).port}`, { connectTimeoutMs: 5000 });
  await uplink.start();
  await waitFor('the peer took the connection', () => sockets.size === 1);
  await clock.advanceAsync(4999);
  await realPause(100);
  t.is(uplink.state().reconnects, 0, 'still waiting for CONNACK');
  await clock.advanceAsync(1);
  await waitFor('attempt dropped', () => uplink.state().reconnects >= 1);
  t.is(uplink.state().lastError, 'no CONNACK within 5000 ms');
  t.is(uplink.state().nextReconnectInMs, 2000);
});
