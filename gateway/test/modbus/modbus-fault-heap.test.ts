/**
 * Heap flat across injected faults: the RTU master (over TCP to the scripted slave) goes through
 * MODBUS_FAULTS faults (1,000 by default; 100000 in the long form: MODBUS_FAULTS=100000) cycling
 * through corrupt CRC, truncated, garbage around the reply, stuck frames, drip, exceptions, a
 * foreign unit's frame and silence; after a forced GC the heap may not have grown by more than 2 MB.
 */
import test from 'ava';
import v8 from 'node:v8';
import vm from 'node:vm';
import { systemClock } from '@prepaid-edge/protocols';
import { RtuMaster, tcpLink } from '../../src/adapters/modbus/index.js';
import { FakeSlave, rtuException, type Script } from './fake-slave.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const faults: Script[] = [
  (r) => {
    const f = r.reply();
    f[3]! ^= 0xff;
    r.send(f);
  },
  (r) => r.send(r.reply().subarray(0, 4)),
  (r) => r.send(Buffer.concat([Buffer.of(1, 2, 3), r.reply(), Buffer.of(9)])),
  (r) => r.send(Buffer.concat([r.reply([1, 2], { unit: 77 }), r.reply()])),
  (r) => r.drip(r.reply(), 0),
  (r) => r.send(rtuException(r.unit, r.pdu[0]!, 0x0b)),
  (r) => r.send(r.reply(undefined, { unit: 99 })), // not ours: ends at the timeout
  () => undefined, // silence
];

test.serial('heap stays flat across injected framing faults', async (t) => {
  t.timeout(3_600_000);
  const total = Number(process.env.MODBUS_FAULTS ?? 1000);
  const slave = await new FakeSlave('rtu', (r) => faults[r.n % faults.length]!(r)).listen();
  const master = new RtuMaster({ bus: 'heap', open: tcpLink({ host: '127.0.0.1', port: slave.port, connectTimeoutMs: 1000, clock: systemClock }), timeoutMs: 15, silenceMs: 3, reconnectAfterTimeouts: 0 });
  const codes = new Map<string, number>();
  const go = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      await master.read(1, 'holding', 0, 2).then(
        () => codes.set('ok', (codes.get('ok') ?? 0) + 1),
        (e: { code?: string }) => codes.set(e.code ?? '?', (codes.get(e.code ?? '?') ?? 0) + 1),
      );
    }
  };
  try {
    await go(400);
    gc();
    const before = process.memoryUsage().heapUsed;
    await go(total);
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    t.log(`${total} faults, heap ${(grown / 1024).toFixed(0)} KiB; outcomes ${JSON.stringify(Object.fromEntries(codes))}`);
    t.true(grown < 2 * 1024 * 1024, `heap grew ${grown} bytes`);
    for (const c of ['ok', 'E_MODBUS_CRC', 'E_MODBUS_REPLY', 'E_MODBUS_EXCEPTION', 'E_MODBUS_TIMEOUT']) t.true((codes.get(c) ?? 0) > 0, `saw ${c}`);
  } finally {
    await master.close();
    await slave.close();
  }
});
