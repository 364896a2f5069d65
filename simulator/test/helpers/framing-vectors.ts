/**
 * Plays the Modbus RTU framing fault vectors (protocols/vectors/modbus-framing-faults.json) from
 * the master's side of a line against the simulator's slave, over any byte pipe (a socat pty, an
 * RTU-over-TCP socket), and says for each case whether the slave's replies match.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { RtuAccumulator } from '@prepaid-edge/protocols';

export interface VectorStep {
  bytes?: string;
  byteGapMs?: number;
  pauseMs?: number;
}
export interface ExpectedReply {
  unit: number;
  fc: number;
  exception?: number;
}
export interface VectorCase {
  name: string;
  role: 'slave' | 'master';
  description: string;
  steps: VectorStep[];
  expect: { replies?: ExpectedReply[] };
}
export interface VectorFile {
  version: number;
  line: { units: number[]; silenceMs: number };
  cases: VectorCase[];
}

export function loadFramingVectors(): VectorFile {
  const path = createRequire(import.meta.url).resolve('@prepaid-edge/protocols/vectors/modbus-framing-faults.json');
  return JSON.parse(readFileSync(path, 'utf8')) as VectorFile;
}

export const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** A byte pipe to the slave: write, and hear what comes back. */
export interface Line {
  write(b: Buffer): void;
  onData(fn: (b: Buffer) => void): void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Send one case's steps, then listen `settleMs`; returns the reply frames heard (unit, fc, exception). */
export async function playCase(line: Line, c: VectorCase, settleMs = 150): Promise<ExpectedReply[]> {
  const acc = new RtuAccumulator('response');
  const heard: Buffer[] = [];
  let raw = Buffer.alloc(0);
  const listener = (b: Buffer) => {
    raw = Buffer.concat([raw, b]);
    heard.push(...acc.push(b));
  };
  current = listener;
  for (const s of c.steps) {
    if (s.pauseMs) await sleep(s.pauseMs);
    if (s.bytes) {
      const b = hex(s.bytes);
      if (s.byteGapMs) {
        for (let i = 0; i < b.length; i++) {
          line.write(b.subarray(i, i + 1));
          await sleep(s.byteGapMs);
        }
      } else line.write(b);
    }
  }
  await sleep(settleMs);
  const rest = acc.silence();
  if (rest.frame) heard.push(rest.frame);
  if (rest.bytes) heard.push(rest.bytes); // undecodable leftovers show up as a mismatch
  current = undefined;
  return heard.map((f) => ({ unit: f[0]!, fc: f[1]!, ...(f[1]! & 0x80 ? { exception: f[2]! } : {}) }));
}

let current: ((b: Buffer) => void) | undefined;
/** Route a line's data to whichever case is playing. */
export function attach(line: Line): void {
  line.onData((b) => current?.(b));
}
