/**
 * The framing fault suite against our RTU master, over a TCP socket to a scripted slave (the
 * rtu-over-tcp bus: the same RtuMaster and matcher a serial bus uses). Every case must end in the
 * right values or the right error code, never in values of another request.
 */
import test from 'ava';
import { encodeRtu, isPrepaidError } from '@prepaid-edge/protocols';
import { RtuMaster, tcpLink } from '../../src/adapters/modbus/index.js';
import { FakeSlave, rtuException, sleep, wordsFor, type Script } from './fake-slave.js';

const TIMEOUT = 400;

async function rig(t: { teardown(fn: () => Promise<void>): void }, script: Script) {
  const slave = await new FakeSlave('rtu', script).listen();
  const master = new RtuMaster({ bus: 'b', open: tcpLink({ host: '127.0.0.1', port: slave.port, connectTimeoutMs: 1000, clock: (await import('@prepaid-edge/protocols')).systemClock }), timeoutMs: TIMEOUT, silenceMs: 50 });
  t.teardown(async () => {
    await master.close();
    await slave.close();
  });
  return { slave, master };
}

const codeOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
    return 'ok';
  } catch (e) {
    return isPrepaidError(e) ? e.code : String(e);
  }
};

test('a clean reply gives the words', async (t) => {
  const { master } = await rig(t, (r) => r.send(r.reply()));
  t.deepEqual(await master.read(5, 'holding', 100, 3), wordsFor(0, 100, 3));
});

test('bytes drip-fed one per millisecond still make the reply', async (t) => {
  const { master } = await rig(t, (r) => r.drip(r.reply(), 1));
  t.deepEqual(await master.read(5, 'holding', 10, 4), wordsFor(0, 10, 4));
});

test('two frames stuck together: another unit\'s reply then ours', async (t) => {
  const { master } = await rig(t, (r) => r.send(Buffer.concat([r.reply([9, 9, 9], { unit: 7 }), r.reply()])));
  t.deepEqual(await master.read(5, 'input', 0, 3), wordsFor(0, 0, 3));
});

test('our reply with the next frame stuck behind it', async (t) => {
  const { master } = await rig(t, (r) => r.send(Buffer.concat([r.reply(), r.reply([1, 2], { unit: 8 })])));
  t.deepEqual(await master.read(5, 'input', 0, 2), wordsFor(0, 0, 2));
});

test('garbage before and after the reply', async (t) => {
  const { master } = await rig(t, (r) => r.send(Buffer.concat([Buffer.of(0x00, 0xff, 0x05, 0x03, 0x42), r.reply(), Buffer.of(0x13, 0x37, 0xff)])));
  t.deepEqual(await master.read(5, 'holding', 200, 2), wordsFor(0, 200, 2));
});

test('a corrupt CRC ends as E_MODBUS_CRC at the frame gap, not at the timeout', async (t) => {
  const { master } = await rig(t, (r) => {
    const f = r.reply();
    f[f.length - 1]! ^= 0x5a;
    r.send(f);
  });
  const t0 = performance.now();
  t.is(await codeOf(master.read(5, 'holding', 0, 2)), 'E_MODBUS_CRC');
  t.true(performance.now() - t0 < TIMEOUT, 'judged at silence');
  t.is(master.stats.crcErrors, 1);
});

test('a truncated reply ends as E_MODBUS_REPLY', async (t) => {
  const { master } = await rig(t, (r) => r.send(r.reply().subarray(0, 5)));
  t.is(await codeOf(master.read(5, 'holding', 0, 4)), 'E_MODBUS_REPLY');
});

test('a reply from another unit is not ours: timeout', async (t) => {
  const { master } = await rig(t, (r) => r.send(r.reply(undefined, { unit: 6 })));
  t.is(await codeOf(master.read(5, 'holding', 0, 2)), 'E_MODBUS_TIMEOUT');
  t.true(master.stats.stray >= 1);
});

test('an unsolicited request from another master on the line, then our reply', async (t) => {
  const { master } = await rig(t, async (r) => {
    r.send(encodeRtu(5, Buffer.of(0x03, 0x00, 0x00, 0x00, 0x02))); // another master asks our unit
    r.send(encodeRtu(0, Buffer.of(0x06, 0x00, 0x01, 0x00, 0x07))); // and broadcasts
    await sleep(80); // longer than the frame gap: the other master's request alone must not end our transaction
    r.send(r.reply());
  });
  t.deepEqual(await master.read(5, 'holding', 300, 2), wordsFor(0, 300, 2));
});

for (const code of [0x02, 0x04, 0x0b]) {
  test(`exception 0x${code.toString(16)} ends as E_MODBUS_EXCEPTION with its code`, async (t) => {
    const { master } = await rig(t, (r) => r.send(rtuException(r.unit, r.pdu[0]!, code)));
    const e = await master.read(5, 'holding', 0, 2).catch((x: unknown) => x);
    t.true(isPrepaidError(e) && e.code === 'E_MODBUS_EXCEPTION');
    t.is((e as { context?: { exception?: number } }).context?.exception, code);
  });
}

test('a late reply after the timeout is never taken for the next request', async (t) => {
  const { master } = await rig(t, async (r) => {
    if (r.n === 0) {
      await sleep(TIMEOUT + 40);
      r.send(r.reply()); // the first request's words, too late
      return;
    }
    r.send(r.reply());
  });
  t.is(await codeOf(master.read(5, 'holding', 0, 2)), 'E_MODBUS_TIMEOUT');
  await sleep(60);
  t.deepEqual(await master.read(5, 'holding', 0, 2), wordsFor(1, 0, 2));
});

test('writes: registers and coil are echoed', async (t) => {
  const { master, slave } = await rig(t, (r) => r.send(r.reply()));
  await master.writeRegisters(5, 10, [1, 2, 3]);
  await master.writeCoil(5, 3, true);
  t.is(slave.requests, 2);
});

test('a line that never goes quiet (another master chattering) still gets our request, and our reply is found', async (t) => {
  const { master, slave } = await rig(t, (r) => r.send(r.reply()));
  const noise = setInterval(() => {
    for (const s of slave.sockets) s.write(encodeRtu(9, Buffer.of(0x03, 0x00, 0x00, 0x00, 0x01)));
  }, 5);
  t.teardown(() => clearInterval(noise));
  await master.read(5, 'holding', 0, 1); // connects; the chatter starts
  t.deepEqual(await master.read(5, 'holding', 7, 2), wordsFor(1, 7, 2));
  t.deepEqual(await master.read(5, 'holding', 7, 2), wordsFor(2, 7, 2));
});
