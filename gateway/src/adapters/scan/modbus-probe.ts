/**
 * One Modbus unit at one line setting: the presence read (any clean reply, an exception too, means
 * a meter), then the signature reads that tell its profile. Replies for another unit (a late reply
 * to an earlier probe) are skipped and handed to `onLate` so that unit can be asked again.
 */
import { decodeRtu, encodeRequest, encodeRtu, parseResponse, rtuResponseLength, type Clock, type MeterProfile, type ModbusRequest, type SignatureRead } from '@prepaid-edge/protocols';
import { FC_OF_KIND, identifyProfile, readKey, replyBytes, type ReadOutcome } from './identify.js';
import { probeTimeoutMs } from './plan.js';
import type { Exchange, FoundMeter, LineSettings, ScanLine, ScanOptions, Verdict } from './types.js';

export interface LineContext {
  port: ScanLine;
  line: LineSettings;
  stopBits: 1 | 2;
  opts: ScanOptions;
  /** The 3.5-character silence before the next request (ms). */
  gapMs: number;
  clock: Clock;
}

/** Wait `ms` on the line's clock. */
export const pause = (ctx: LineContext, ms: number): Promise<void> => new Promise((r) => ctx.clock.setTimeout(r, ms));

function modbusComplete(unit: number) {
  return (buf: Buffer): Verdict => {
    const n = rtuResponseLength(buf);
    if (n === undefined || (n > 0 && buf.length < n)) return 'more';
    if (n < 0) return 'garbled';
    try {
      return decodeRtu(buf.subarray(0, n)).unit === unit ? 'done' : { skip: n };
    } catch {
      return 'garbled';
    }
  };
}

/** Units of the whole RTU frames inside late bytes. */
export function unitsIn(chunks: readonly Buffer[] = []): number[] {
  const out: number[] = [];
  for (const buf of chunks) {
    for (let i = 0; i < buf.length; ) {
      const rest = buf.subarray(i);
      const n = rtuResponseLength(rest);
      if (n !== undefined && n > 0 && n <= rest.length) {
        try {
          out.push(decodeRtu(rest.subarray(0, n)).unit);
          i += n;
          continue;
        } catch {
          /* not a frame here */
        }
      }
      i++;
    }
  }
  return out;
}

/** One exchange, repeated once when the reply was garbled; late bytes of both are kept. */
export async function transact(port: ScanLine, request: Buffer, timeoutMs: number, complete: (b: Buffer) => Verdict): Promise<Exchange> {
  const first = await port.exchange(request, timeoutMs, complete);
  if (first.kind !== 'garbled') return first;
  const second = await port.exchange(request, timeoutMs, complete);
  const late = [...(first.late ?? []), ...(second.late ?? [])];
  return late.length ? { ...second, late } : second;
}

/**
 * `patience` multiplies every timeout: 1 for the first pass, more when a unit is asked again
 * because its reply came late.
 */
export async function probeModbus(
  ctx: LineContext,
  unit: number,
  profiles: readonly MeterProfile[],
  presence: SignatureRead,
  onLate: (units: number[]) => void,
  patience = 1,
): Promise<FoundMeter | undefined> {
  const { port, line, opts, stopBits } = ctx;
  const cache = new Map<string, ReadOutcome>();
  let present = false;
  const ask = async (r: SignatureRead, req: ModbusRequest, timeoutMs: number): Promise<Exchange> => {
    const x = await transact(port, encodeRtu(unit, encodeRequest(req)), timeoutMs, modbusComplete(unit));
    const late = unitsIn(x.late).filter((u) => u !== unit);
    if (late.length) onLate(late);
    return x;
  };
  const read = async (r: SignatureRead): Promise<ReadOutcome> => {
    const key = readKey(r);
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    const req: ModbusRequest = { fc: FC_OF_KIND[r.kind], address: r.address, count: r.count };
    const timeoutMs = probeTimeoutMs({ ...opts, stopBits }, line, 8, replyBytes(r)) * patience;
    let x = await ask(r, req, timeoutMs);
    if (x.kind !== 'reply' && present) {
      // A meter that has answered went quiet: its reply may be on its way. Let it drain, ask again, wait longer.
      await pause(ctx, timeoutMs);
      x = await ask(r, req, 3 * timeoutMs);
      // Asked twice, it may answer twice: let the second reply go by, or the next read could take it for its own.
      if (x.kind === 'reply' && port.drain) {
        const strays = unitsIn(await port.drain(timeoutMs)).filter((u) => u !== unit);
        if (strays.length) onLate(strays);
      }
    }
    let outcome: ReadOutcome = 'silent';
    if (x.kind === 'reply') {
      present = true;
      await pause(ctx, ctx.gapMs);
      try {
        const res = parseResponse(decodeRtu(x.bytes.subarray(0, rtuResponseLength(x.bytes))).pdu, req);
        if ('exception' in res) outcome = 'refused';
        else if ('registers' in res) outcome = res.registers;
        else if ('bits' in res) outcome = res.bits.map((b) => (b ? 1 : 0));
        else outcome = [];
      } catch {
        outcome = []; // a reply that does not fit the request: there, but no signature holds on it
      }
    }
    cache.set(key, outcome);
    return outcome;
  };
  await read(presence);
  if (!present) return undefined;
  const id = await identifyProfile(profiles, read);
  return { protocol: 'modbus', unit, baudRate: line.baudRate, parity: line.parity, stopBits, ...id };
}
