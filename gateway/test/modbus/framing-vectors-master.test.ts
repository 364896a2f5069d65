/**
 * The shared framing fault vectors (protocols/vectors/modbus-framing-faults.json, `role: master`)
 * played against our RTU master from the slave's end of the line, over the two pipes an RTU bus
 * has: a TCP socket (an RS-485 converter, bus type rtu-over-tcp) and a socat pty (a serial port).
 * The simulator runs the `role: slave` cases of the same file (simulator/test/framing-faults.test.ts).
 *
 * After every case the same master reads again and must get that request's own words: a fault
 * never leaves bytes behind that a later request takes for its reply. The late-reply case asks a
 * different register count the second time, since two identical RTU requests cannot be told apart
 * by their replies (RTU has no transaction id): the late 2-register reply arriving during the
 * 3-register request's wait must be dropped, and the 3-register reply taken.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { createRequire } from 'node:module';
import { SerialPort } from 'serialport';
import test from 'ava';
import { encodeRegistersResponse, encodeRtu, isPrepaidError, systemClock } from '@prepaid-edge/protocols';
import { ptyPair, type PtyPair } from '@prepaid-edge/testkit/pty-pair';
import { testWith } from '@prepaid-edge/testkit/system-tools';
import { RtuMaster, serialLink, tcpLink, type LinkOpener } from '../../src/adapters/modbus/index.js';

interface Step {
  bytes?: string;
  byteGapMs?: number;
  pauseMs?: number;
}
interface MasterCase {
  name: string;
  description: string;
  role: 'master';
  request: { unit: number; fc: 3 | 4; address: number; count: number };
  steps: Step[];
  expect: { result: 'ok' | 'crc' | 'timeout' | 'exception' | 'reply'; registers?: number[]; exception?: number; timeoutMs?: number; lateBytesNotMatched?: boolean };
}
interface VectorFile {
  line: { units: number[]; silenceMs: number };
  cases: (MasterCase | { role: 'slave' })[];
}

const file = JSON.parse(readFileSync(createRequire(import.meta.url).resolve('@prepaid-edge/protocols/vectors/modbus-framing-faults.json'), 'utf8')) as VectorFile;
const cases = file.cases.filter((c): c is MasterCase => c.role === 'master');
const DEFAULT_TIMEOUT = 300;
const RESULT_CODE = { ok: 'ok', crc: 'E_MODBUS_CRC', timeout: 'E_MODBUS_TIMEOUT', exception: 'E_MODBUS_EXCEPTION', reply: 'E_MODBUS_REPLY' } as const;
const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Words of the follow-up read: nothing in the vectors looks like them. */
const followUpWords = (count: number) => Array.from({ length: count }, (_, i) => 0x5a00 + i);

/** The slave's end of a line: bytes the master writes come in, the script's bytes go out. */
interface SlaveEnd {
  write(b: Buffer): void;
  onData(fn: (b: Buffer) => void): void;
  close(): Promise<void>;
}

/** Plays a case when the first request arrives, then answers every later request with followUpWords. */
class Player {
  private rx = Buffer.alloc(0);
  private requests = 0;
  constructor(
    private readonly end: SlaveEnd,
    private readonly c: MasterCase,
  ) {
    end.onData((b) => this.onBytes(b));
  }
  private onBytes(b: Buffer): void {
    this.rx = Buffer.concat([this.rx, b]);
    while (this.rx.length >= 8) {
      const req = this.rx.subarray(0, 8); // FC 3/4 requests are 8 bytes on RTU
      this.rx = this.rx.subarray(8);
      const n = this.requests++;
      if (n === 0) void this.play();
      else this.end.write(encodeRtu(req[0]!, encodeRegistersResponse(req[1] as 0x03 | 0x04, followUpWords(req.readUInt16BE(4)))));
    }
  }
  private async play(): Promise<void> {
    for (const s of this.c.steps) {
      if (s.pauseMs) await sleep(s.pauseMs);
      if (!s.bytes) continue;
      const bytes = hex(s.bytes);
      if (!s.byteGapMs) this.end.write(bytes);
      else
        for (const b of bytes) {
          this.end.write(Buffer.of(b));
          await sleep(s.byteGapMs);
        }
    }
  }
}

const outcome = async (p: Promise<number[]>): Promise<{ code: string; words?: number[]; exception?: unknown }> => {
  try {
    return { code: 'ok', words: await p };
  } catch (e) {
    if (!isPrepaidError(e)) throw e;
    return { code: e.code, exception: e.context?.exception };
  }
};

type Pipe = { name: string; packages: string[]; open(): Promise<{ opener: LinkOpener; end: SlaveEnd }> };

const tcpPipe: Pipe = {
  name: 'rtu-over-tcp',
  packages: [],
  async open() {
    let sock: net.Socket | undefined;
    const handlers: ((b: Buffer) => void)[] = [];
    const server = net.createServer((s) => {
      sock = s;
      s.on('data', (b: Buffer) => handlers.forEach((h) => h(b)));
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    return {
      opener: tcpLink({ host: '127.0.0.1', port, connectTimeoutMs: 1000, clock: systemClock }),
      end: {
        write: (b) => void sock?.write(b),
        onData: (fn) => void handlers.push(fn),
        close: async () => {
          sock?.destroy();
          await new Promise<void>((r) => server.close(() => r()));
        },
      },
    };
  },
};

const ptyPipe: Pipe = {
  name: 'socat pty',
  packages: ['socat'],
  async open() {
    const pair: PtyPair = await ptyPair();
    const port = new SerialPort({ path: pair.b, baudRate: 9600, autoOpen: false });
    await new Promise<void>((res, rej) => port.open((e) => (e ? rej(e) : res())));
    return {
      opener: serialLink({ path: pair.a, baudRate: 9600, parity: 'none', stopBits: 1 }),
      end: {
        write: (b) => void port.write(b),
        onData: (fn) => void port.on('data', fn),
        close: async () => {
          await new Promise<void>((r) => (port.isOpen ? port.close(() => r()) : r()));
          await pair.close();
        },
      },
    };
  },
};

for (const pipe of [tcpPipe, ptyPipe]) {
  for (const c of cases) {
    testWith(pipe.packages).serial(`${pipe.name}: ${c.name} — ${c.expect.result}`, async (t) => {
      const { opener, end } = await pipe.open();
      const master = new RtuMaster({ bus: 'vectors', open: opener, timeoutMs: c.expect.timeoutMs ?? DEFAULT_TIMEOUT, silenceMs: file.line.silenceMs, gapAfterReplyMs: 0 });
      t.teardown(async () => {
        await master.close();
        await end.close();
      });
      new Player(end, c);
      const { unit, fc, address, count } = c.request;
      const kind = fc === 3 ? 'holding' : 'input';
      const t0 = performance.now();
      const got = await outcome(master.read(unit, kind, address, count));
      const took = performance.now() - t0;
      t.is(got.code, RESULT_CODE[c.expect.result], `${c.description}: took ${took.toFixed(0)} ms`);
      if (c.expect.registers) t.deepEqual(got.words, c.expect.registers);
      if (c.expect.exception !== undefined) t.is(got.exception, c.expect.exception);
      if (c.expect.result === 'crc') {
        t.is(master.stats.crcErrors, 1, 'counted as a CRC error');
        t.true(took < (c.expect.timeoutMs ?? DEFAULT_TIMEOUT), 'judged at the frame gap, not at the timeout');
      }
      // The next request gets its own reply, whatever the fault left on the line.
      const nextCount = c.expect.lateBytesNotMatched ? count + 1 : count;
      t.deepEqual(await master.read(unit, kind, address, nextCount), followUpWords(nextCount), 'the follow-up read gets its own words');
    });
  }
}

test.serial('the vector file has the master cases issue 13 names', (t) => {
  const names = cases.map((c) => c.name);
  for (const n of ['m-drip-fed-reply', 'm-garbage-after-reply', 'm-crc-corrupt', 'm-truncated', 'm-other-unit', 'm-broadcast-from-other-master', 'm-exception-0b', 'm-late-reply']) t.true(names.includes(n), n);
});
