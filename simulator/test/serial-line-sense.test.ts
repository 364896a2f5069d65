/** Per-meter baud rates on a pty bus: the bus reads the master's baud rate from its end (peerPath). */
import test from 'ava';
import { SerialPort } from 'serialport';
import { encodeRtu } from '@prepaid-edge/protocols';
import { Simulator } from '../src/index.js';
import { ptyPair } from '@prepaid-edge/testkit/pty-pair';
import { testWith } from '@prepaid-edge/testkit/system-tools';

/** One read of input register 0 from `unit` at the given settings: reply bytes, or undefined after 300 ms. */
async function probe(path: string, baudRate: number, parity: 'none' | 'even' | 'odd', unit: number): Promise<Buffer | undefined> {
  const port = new SerialPort({ path, baudRate, parity, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
  try {
    const got: Buffer[] = [];
    port.on('data', (d: Buffer) => got.push(d));
    port.write(encodeRtu(unit, Buffer.from([0x04, 0, 0, 0, 2])));
    await new Promise((r) => setTimeout(r, 300));
    return got.length ? Buffer.concat(got) : undefined;
  } finally {
    await new Promise<void>((resolve) => port.close(() => resolve()));
  }
}

testWith(['socat'])('meters with their own baud rate answer only a master at that baud rate (peerPath)', async (t) => {
  t.timeout(30_000);
  const pty = await ptyPair();
  t.teardown(() => pty.close());
  const sim = new Simulator({
    meters: 0,
    scenario: { meters: [{ units: [1], profile: 'sdm120', baudRate: 9600, parity: 'even' }, { units: [2], profile: 'sdm120', baudRate: 19200, parity: 'even' }] },
  });
  await sim.openSerial(pty.a, { baudRate: 9600, parity: 'even', peerPath: pty.b });
  t.teardown(() => sim.close());

  t.truthy(await probe(pty.b, 9600, 'even', 1), 'unit 1 answers at 9600');
  t.is(await probe(pty.b, 9600, 'even', 2), undefined, 'unit 2 (19200) hears nothing at 9600');
  t.truthy(await probe(pty.b, 19200, 'even', 2), 'unit 2 answers at 19200');
  t.is(await probe(pty.b, 19200, 'even', 1), undefined, 'unit 1 (9600) hears nothing at 19200');
  t.is(await probe(pty.b, 4800, 'even', 1), undefined, 'nobody hears 4800');
});
