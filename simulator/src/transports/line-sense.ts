/**
 * What line settings the master has set on its end of a pty, read from the kernel with
 * `stty -F <path> -g` (Node has no tcgetattr). A pty carries no real bit timing, so this is how a
 * simulated meter "hears" a master at the wrong baud rate or parity: it compares these settings
 * with its own and stays silent on a mismatch, as a real meter would see only framing errors.
 *
 * Linux ptys clear PARENB (and CSIZE) whatever the master sets; PARODD, CSTOPB and the baud rate
 * survive. The character format is therefore read from what survives, per the Modbus serial line
 * spec (11 bits a character: 8E1, 8O1, or 8N2 without parity): CSTOPB = no parity (8N2), else
 * PARODD = odd, else even. A master at 8N1 thus reads as 8E1 (or 8O1, since serialport leaves
 * PARODD set when it switches to parity none), and one at 8E2 as 8N2.
 */
import { execFile } from 'node:child_process';

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
