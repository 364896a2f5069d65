/**
 * `openPty` / `prepaid-sim --pty`: the simulator owns the pty pair and reads the line settings the
 * master sets on its end (stty), so a meter answers only at its own baud rate and parity.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { SerialPort } from 'serialport';
import { encodeReadAddressReply, encodeRtu, findFrame } from '@prepaid-edge/protocols';
import { Simulator, collide, parseSttyG } from '../src/index.js';
import { testWith } from '@prepaid-edge/testkit/system-tools';

test('stty -g: baud rate from CBAUD; CSTOPB reads as 8N2, PARODD as odd, neither as even (Linux ptys drop PARENB)', (t) => {
  t.deepEqual(parseSttyG('4:0:cbd:0:3:1c:7f:15:4:0:1:0'), { baudRate: 9600, parity: 'even', stopBits: 1 });
  t.deepEqual(parseSttyG('4:0:ebd:0'), { baudRate: 9600, parity: 'odd', stopBits: 1 });
  t.deepEqual(parseSttyG('4:0:efd:0'), { baudRate: 9600, parity: 'none', stopBits: 2 });
  t.deepEqual(parseSttyG('4:0:cbe:0'), { baudRate: 19200, parity: 'even', stopBits: 1 });
  t.deepEqual(parseSttyG('4:0:1cb1:0'), { baudRate: 57600, parity: 'even', stopBits: 1 });
  t.is(parseSttyG('speed 9600 baud; line = 0;'), undefined);
});

test('two DL/T 645 replies on the wire at once are garbage to the master', (t) => {
  const a = encodeReadAddressReply('000000000005');
  const b = encodeReadAddressReply('000000000017');
  t.truthy(findFrame(a).frame);
  const both = collide([a, b]);
  t.is(both.length, a.length);
  t.is(findFrame(both).frame, undefined);
});

/** One read of input register 0 from `unit`: reply bytes, or undefined after 1.5 s (generous: a loaded machine). */
async function probe(path: string, baudRate: number, parity: 'none' | 'even' | 'odd', stopBits: 1 | 2, unit: number): Promise<Buffer | undefined> {
  const port = new SerialPort({ path, baudRate, parity, stopBits, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
  try {
    const got: Buffer[] = [];
    const first = new Promise((r) => port.once('data', r));
    port.on('data', (d: Buffer) => got.push(d));
    port.write(encodeRtu(unit, Buffer.from([0x04, 0, 0, 0, 2])));
    await Promise.race([first, new Promise((r) => setTimeout(r, 1500))]);
    await new Promise((r) => setTimeout(r, 30)); // the rest of the reply
    return got.length ? Buffer.concat(got) : undefined;
  } finally {
    await new Promise<void>((resolve) => port.close(() => resolve()));
  }
}

testWith(['socat'])('a meter on an owned pty answers only a master at its baud rate and parity', async (t) => {
  t.timeout(60_000);
  const dir = mkdtempSync(join(tmpdir(), 'sim-pty-'));
  const tty = join(dir, 'tty');
  const sim = new Simulator({
    meters: 0,
    scenario: {
      meters: [
        { units: [1], profile: 'sdm120', baudRate: 9600, parity: 'even' },
        { units: [2], profile: 'sdm120', baudRate: 9600, parity: 'none' },
        { units: [3], profile: 'sdm120', baudRate: 9600, parity: 'odd' },
      ],
    },
  });
  await sim.openPty(tty);
  t.teardown(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const answers = async (baud: number, parity: 'none' | 'even' | 'odd', stopBits: 1 | 2) => {
    const out: number[] = [];
    for (const unit of [1, 2, 3]) if (await probe(tty, baud, parity, stopBits, unit)) out.push(unit);
    return out;
  };
  t.deepEqual(await answers(9600, 'even', 1), [1], '8E1');
  t.deepEqual(await answers(9600, 'none', 2), [2], '8N2');
  t.deepEqual(await answers(9600, 'odd', 1), [3], '8O1');
  t.deepEqual(await answers(19200, 'even', 1), [], 'wrong baud rate: nobody');
});
