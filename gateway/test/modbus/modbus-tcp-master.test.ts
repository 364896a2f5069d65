/**
 * Our Modbus TCP master against a scripted MBAP slave: transaction ids checked, late replies
 * dropped, several requests in flight answered out of order, recovery after the peer restarts and
 * after a half-open connection, and no file descriptors left behind after many cycles.
 */
import test from 'ava';
import { isPrepaidError } from '@prepaid-edge/protocols';
import { TcpMaster } from '../../src/adapters/modbus/index.js';
import { FakeSlave, sleep, wordsFor, type Script, type SlaveRequest } from './fake-slave.js';

const TIMEOUT = 250;

async function rig(t: { teardown(fn: () => Promise<void>): void }, script: Script, opts: { maxInFlight?: number } = {}) {
  const slave = await new FakeSlave('tcp', script).listen();
  const master = new TcpMaster({ bus: 't', host: '127.0.0.1', port: slave.port, timeoutMs: TIMEOUT, ...opts });
  t.teardown(async () => {
    await master.close();
    await slave.close().catch(() => undefined);
  });
  return { slave, master };
}

const codeOf = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'ok',
    (e: unknown) => (isPrepaidError(e) ? e.code : String(e)),
  );

test('a reply gives the words', async (t) => {
  const { master } = await rig(t, (r) => r.send(r.reply()));
  t.deepEqual(await master.read(1, 'holding', 40, 3), wordsFor(0, 40, 3));
});

test('a reply with another transaction id is not ours: timeout', async (t) => {
  const { master } = await rig(t, (r) => r.send(r.reply(undefined, { tid: (r.tid + 100) & 0xffff })));
  t.is(await codeOf(master.read(1, 'holding', 0, 2)), 'E_MODBUS_TIMEOUT');
  t.is(master.stats.stray, 1);
});

test('a reply from another unit with our id is refused as E_MODBUS_REPLY', async (t) => {
  const { master } = await rig(t, (r) => r.send(r.reply(undefined, { unit: 9 })));
  t.is(await codeOf(master.read(1, 'holding', 0, 2)), 'E_MODBUS_REPLY');
});

test('a late reply after the timeout is dropped, the next request gets its own', async (t) => {
  const { master } = await rig(t, async (r) => {
    if (r.n === 0) await sleep(TIMEOUT + 30);
    r.send(r.reply());
  });
  t.is(await codeOf(master.read(1, 'holding', 0, 2)), 'E_MODBUS_TIMEOUT');
  const second = master.read(1, 'holding', 0, 2);
  t.deepEqual(await second, wordsFor(1, 0, 2));
  await sleep(60);
  t.deepEqual(await master.read(1, 'holding', 0, 2), wordsFor(2, 0, 2));
  t.is(master.stats.stray, 1, 'the late reply was counted, not delivered');
});

test('two replies in one segment and one split over two', async (t) => {
  const held: SlaveRequest[] = [];
  const { master } = await rig(
    t,
    async (r) => {
      held.push(r);
      if (held.length < 2) return;
      const both = Buffer.concat(held.map((h) => h.reply()));
      r.send(both.subarray(0, 5));
      await sleep(5);
      r.send(both.subarray(5));
    },
    { maxInFlight: 2 },
  );
  const [a, b] = await Promise.all([master.read(1, 'holding', 0, 2), master.read(2, 'input', 10, 1)]);
  t.deepEqual(a, wordsFor(0, 0, 2));
  t.deepEqual(b, wordsFor(1, 10, 1));
});

test('maxInFlight: four requests at once, answered in reverse order, each gets its own', async (t) => {
  const held: SlaveRequest[] = [];
  let most = 0;
  const { master } = await rig(
    t,
    (r) => {
      held.push(r);
      most = Math.max(most, held.length);
      if (held.length === 4) for (const h of held.reverse()) h.send(h.reply());
    },
    { maxInFlight: 4 },
  );
  const got = await Promise.all([0, 1, 2, 3].map((i) => master.read(1, 'holding', i * 10, 2)));
  t.is(most, 4);
  got.forEach((w, i) => t.deepEqual(w.map((x) => x % 1000), [i * 10, i * 10 + 1]));
});

test('maxInFlight 1 (default): the second request waits for the first', async (t) => {
  let open = 0;
  let most = 0;
  const { master } = await rig(t, async (r) => {
    most = Math.max(most, ++open);
    await sleep(10);
    open--;
    r.send(r.reply());
  });
  await Promise.all([master.read(1, 'holding', 0, 1), master.read(1, 'holding', 1, 1), master.read(1, 'holding', 2, 1)]);
  t.is(most, 1);
});

test('an exception 0x0B (gateway target failed to respond) keeps its code', async (t) => {
  const { master } = await rig(t, (r) => r.send(Buffer.from([r.tid >> 8, r.tid & 0xff, 0, 0, 0, 3, r.unit, r.pdu[0]! | 0x80, 0x0b])));
  const e = await master.read(1, 'holding', 0, 2).catch((x: unknown) => x);
  t.true(isPrepaidError(e) && e.code === 'E_MODBUS_EXCEPTION' && (e.context as { exception?: number }).exception === 0x0b);
});

test('the peer restarts: requests fail as E_BUS_UNAVAILABLE, then poll again on the same port', async (t) => {
  const first = await new FakeSlave('tcp').listen();
  const port = first.port;
  const master = new TcpMaster({ bus: 't', host: '127.0.0.1', port, timeoutMs: TIMEOUT });
  t.teardown(() => master.close());
  t.deepEqual(await master.read(1, 'holding', 0, 1), wordsFor(0, 0, 1));
  await first.close();
  t.is(await codeOf(master.read(1, 'holding', 0, 1)), 'E_BUS_UNAVAILABLE');
  const second = await new FakeSlave('tcp').listen(port);
  t.teardown(() => second.close());
  t.deepEqual(await master.read(1, 'holding', 0, 1), wordsFor(0, 0, 1));
  t.is(second.connections, 1);
});

test('a half-open connection (peer silent, socket up) is dropped after 3 silent timeouts and reopened', async (t) => {
  let mute = true;
  const { master, slave } = await rig(t, (r) => {
    if (!mute) r.send(r.reply());
  });
  for (let i = 0; i < 3; i++) t.is(await codeOf(master.read(1, 'holding', 0, 1)), 'E_MODBUS_TIMEOUT');
  mute = false;
  await sleep(20);
  t.deepEqual(await master.read(1, 'holding', 0, 1), wordsFor(3, 0, 1));
  t.is(slave.connections, 2, 'a new connection after the silent ones');
  t.is(master.stats.reconnects, 1);
});

