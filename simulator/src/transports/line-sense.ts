/**
 * What line settings the master has set on its end of a pty, read from the kernel (termios; Node
 * has no tcgetattr) in the format of `stty -F <path> -g`. A pty carries no real bit timing, so this is how a
 * simulated meter "hears" a master at the wrong baud rate or parity: it compares these settings
 * with its own and stays silent on a mismatch, as a real meter would see only framing errors.
 *
 * Linux ptys clear PARENB (and CSIZE) whatever the master sets; PARODD, CSTOPB and the baud rate
 * survive. The character format is therefore read from what survives, per the Modbus serial line
 * spec (11 bits a character: 8E1, 8O1, or 8N2 without parity): CSTOPB = no parity (8N2), else
 * PARODD = odd, else even. A master at 8N1 thus reads as 8E1 (or 8O1, since serialport leaves
 * PARODD set when it switches to parity none), and one at 8E2 as 8N2.
 *
 * A `stty` run costs 13 ms median and up to 170 ms on a loaded 2-core machine, which makes replies
 * late; LineSensor therefore asks one long-lived python3 (termios.tcgetattr, the same numbers in
 * the same format) and falls back to `stty` per frame when python3 is missing.
 */
import { execFile, spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { createInterface } from 'node:readline';

export interface SensedLine {
  baudRate: number;
  parity: 'none' | 'even' | 'odd';
  stopBits: 1 | 2;
}

const CBAUD = 0o10017;
const CSTOPB = 0o100;
const PARODD = 0o1000;
const SPEEDS: Readonly<Record<number, number>> = {
  0o7: 300, 0o10: 600, 0o11: 1200, 0o12: 1800, 0o13: 2400, 0o14: 4800, 0o15: 9600, 0o16: 19200, 0o17: 38400,
  0o10001: 57600, 0o10002: 115200, 0o10003: 230400, 0o10004: 460800, 0o10007: 921600,
};

/** Parse `stty -g` output (Linux: iflag:oflag:cflag:lflag:... in hex); undefined when it is not that. */
export function parseSttyG(text: string): SensedLine | undefined {
  const fields = text.trim().split(':');
  if (fields.length < 4 || !/^[0-9a-f]+$/i.test(fields[2]!)) return undefined;
  const cflag = parseInt(fields[2]!, 16);
  const baudRate = SPEEDS[cflag & CBAUD];
  if (baudRate === undefined) return undefined;
  if (cflag & CSTOPB) return { baudRate, parity: 'none', stopBits: 2 };
  return { baudRate, parity: cflag & PARODD ? 'odd' : 'even', stopBits: 1 };
}

/** The master's settings on `path` now; undefined when stty fails (then the caller assumes a match). */
export function senseLine(path: string): Promise<SensedLine | undefined> {
  return new Promise((resolve) => {
    execFile('stty', ['-F', path, '-g'], { timeout: 2000 }, (err, stdout) => resolve(err ? undefined : parseSttyG(stdout)));
  });
}

/** tcgetattr on request: one path a line in, `iflag:oflag:cflag:lflag` in hex (as `stty -g` begins) out. */
const HELPER = [
  'import os, sys, termios',
  'fds = {}',
  'for line in sys.stdin:',
  '    p = line.strip()',
  '    try:',
  '        fd = fds.get(p)',
  '        if fd is None:',
  '            fd = fds[p] = os.open(p, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)',
  '        a = termios.tcgetattr(fd)',
  "        out = '%x:%x:%x:%x' % (a[0], a[1], a[2], a[3])",
  '    except Exception as e:',
  "        out = 'error'",
  '    sys.stdout.write(out + chr(10))',
  '    sys.stdout.flush()',
].join('\n');

/** Reads a master's line settings, one question at a time, through python3 when it can (see above). */
export class LineSensor {
  private helper: ChildProcessByStdio<Writable, Readable, null> | undefined;
  private readonly waiting: Array<(line: string | undefined) => void> = [];
  private chain: Promise<unknown> = Promise.resolve();
  private broken = false;

  constructor(private readonly path: string) {}

  sense(): Promise<SensedLine | undefined> {
    const next = this.chain.then(() => this.once());
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async once(): Promise<SensedLine | undefined> {
    const h = this.broken ? undefined : this.start();
    if (!h) return senseLine(this.path);
    const answer = await new Promise<string | undefined>((resolve) => {
      this.waiting.push(resolve);
      h.stdin.write(this.path + '\n');
    });
    return answer === undefined ? senseLine(this.path) : parseSttyG(answer);
  }

  private start(): ChildProcessByStdio<Writable, Readable, null> | undefined {
    if (this.helper) return this.helper;
    try {
      const h = spawn('python3', ['-u', '-c', HELPER], { stdio: ['pipe', 'pipe', 'ignore'] });
      const fail = () => {
        this.broken = true;
        this.helper = undefined;
        for (const w of this.waiting.splice(0)) w(undefined);
      };
      h.once('error', fail);
      h.once('exit', fail);
      h.stdin.on('error', fail);
      createInterface({ input: h.stdout }).on('line', (l) => this.waiting.shift()?.(l));
      this.helper = h;
      return h;
    } catch {
      this.broken = true;
      return undefined;
    }
  }

  close(): void {
    const h = this.helper;
    this.helper = undefined;
    this.broken = true;
    h?.kill('SIGTERM');
  }
}
