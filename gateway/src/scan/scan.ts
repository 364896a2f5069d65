/**
 * The bus scan: every line setting x every address, one short request each, never a write.
 * Modbus: the smallest signature read to each unit (any reply, an exception too, means a meter is
 * there), then the signature reads that tell its profile. DL/T 645: one wildcard read-address per
 * line setting (finds one meter per line setting: the wildcard expects a single meter). A unit that
 * answered at one parity is not probed at the other parities of that baud rate (it would answer
 * again, or garble). A garbled reply is retried once; silence is not retried.
 */
import {
  decodeRtu,
  encodeReadAddressRequest,
  encodeRequest,
  encodeRtu,
  findFrame,
  interFrameMs,
  bitsPerChar,
  isPrepaidError,
  listProfiles,
  loadProfile,
  parseReadAddressReply,
  parseResponse,
  rtuResponseLength,
  type MeterProfile,
  type ModbusRequest,
  type SignatureRead,
} from '@prepaid-edge/protocols';
import { listDlt645Profiles } from '../acquisition/dlt645-profile.js';
import { FC_OF_KIND, identifyProfile, presenceRead, readKey, replyBytes } from './identify.js';
import { etaMs, planScan, probeTimeoutMs } from './plan.js';
import { openSerialLine } from './serial-line.js';
import type { Exchange, FoundMeter, LineSettings, ScanDeps, ScanEvent, ScanLine, ScanOptions } from './types.js';

/** DL/T 645-2007 lets a meter take up to 500 ms to answer. */
const DLT645_TURNAROUND_MS = 500;
/** A read-address reply: 4 wake-up bytes + 12-byte frame + 6 address bytes. */
const DLT645_ADDRESS_REPLY_BYTES = 22;

function modbusComplete(unit: number) {
  return (buf: Buffer): 'more' | 'done' | 'garbled' => {
    const n = rtuResponseLength(buf);
    if (n === undefined || (n > 0 && buf.length < n)) return 'more';
    if (n < 0) return 'garbled';
    try {
      return decodeRtu(buf.subarray(0, n)).unit === unit ? 'done' : 'garbled';
    } catch {
      return 'garbled';
    }
  };
}

function dlt645Complete(buf: Buffer): 'more' | 'done' | 'garbled' {
  return findFrame(buf).frame ? 'done' : 'more';
}

/** One exchange, repeated once when the reply was garbled. */
async function transact(line: ScanLine, request: Buffer, timeoutMs: number, complete: (b: Buffer) => 'more' | 'done' | 'garbled'): Promise<Exchange> {
  const first = await line.exchange(request, timeoutMs, complete);
  return first.kind === 'garbled' ? line.exchange(request, timeoutMs, complete) : first;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function* scan(opts: ScanOptions, deps: ScanDeps = {}): AsyncGenerator<ScanEvent, void, undefined> {
  const plan = planScan(opts);
  const stopBits = opts.stopBits ?? 1;
  const profiles: MeterProfile[] = (opts.profiles ?? listProfiles()).map((id) => loadProfile(id));
  const dltProfile = plan.dlt645 ? (listDlt645Profiles()[0] ?? null) : null;
  const presence = presenceRead(profiles);
  const openLine = deps.openLine ?? openSerialLine;
  const monotonic = deps.monotonic ?? (() => performance.now());
  const started = monotonic();
  let done = 0;
  let found = 0;
  const firstLine = plan.lines[0];
  const firstGuess = firstLine ? probeTimeoutMs(opts, firstLine, 8, replyBytes(presence)) : 0;
  const progress = (line: LineSettings): ScanEvent => {
    const elapsedMs = monotonic() - started;
    return { type: 'progress', done, total: plan.total, etaMs: etaMs(done, plan.total, elapsedMs, firstGuess), elapsedMs, line, found };
  };
  /** Addresses found per baud rate (skip them at that baud's other parities). */
  const seen = new Map<number, Set<string>>();

  for (const line of plan.lines) {
    if (opts.signal?.aborted) return;
    const seenHere = seen.get(line.baudRate) ?? new Set<string>();
    seen.set(line.baudRate, seenHere);
    let port: ScanLine;
    try {
      port = await openLine(opts.path, { ...line, stopBits });
    } catch (e) {
      done += plan.probesPerLine;
      yield { type: 'line-error', line, code: isPrepaidError(e) ? e.code : 'E_BUS_UNAVAILABLE', message: (e as Error).message };
      // The port itself is missing or held by another process: no line setting will do better.
      if (!isPrepaidError(e) || /no such file|cannot lock|resource temporarily unavailable|busy/i.test(e.message)) throw e;
      yield progress(line);
      continue;
    }
    const gapMs = interFrameMs(line.baudRate, bitsPerChar(line.parity, stopBits));
    try {
      if (plan.modbus) {
        for (const unit of plan.units) {
          if (opts.signal?.aborted) return;
          if (!seenHere.has(`u${unit}`)) {
            const meter = await probeModbus(port, unit, line, opts, profiles, presence, gapMs);
            if (meter) {
              seenHere.add(`u${unit}`);
              found++;
              yield { type: 'found', meter };
            }
          }
          done++;
          yield progress(line);
        }
      }
      if (plan.dlt645 && !opts.signal?.aborted) {
        if (!seenHere.has('dlt645')) {
          const request = encodeReadAddressRequest();
          const timeout = opts.timeoutMs ?? probeTimeoutMs({ ...opts, turnaroundMs: Math.max(opts.turnaroundMs ?? 0, DLT645_TURNAROUND_MS) }, line, request.length, DLT645_ADDRESS_REPLY_BYTES);
          const x = await transact(port, request, timeout, dlt645Complete);
          const frame = x.kind === 'reply' ? findFrame(x.bytes).frame : undefined;
          const reply = frame ? parseReadAddressReply(frame) : undefined;
          if (reply?.ok) {
            seenHere.add('dlt645');
            found++;
            yield { type: 'found', meter: { protocol: 'dlt645', unit: null, address: reply.address, baudRate: line.baudRate, parity: line.parity, profile: dltProfile } };
          }
        }
        done++;
        yield progress(line);
      }
    } finally {
      await port.close();
    }
  }
}

async function probeModbus(
  port: ScanLine,
  unit: number,
  line: LineSettings,
  opts: ScanOptions,
  profiles: readonly MeterProfile[],
  presence: SignatureRead,
  gapMs: number,
): Promise<FoundMeter | undefined> {
  const cache = new Map<string, number[] | undefined>();
  /** Words of a read; undefined for an exception or silence. `present` is set by any clean reply. */
  let present = false;
  const read = async (r: SignatureRead): Promise<number[] | undefined> => {
    const key = readKey(r);
    if (cache.has(key)) return cache.get(key);
    const req: ModbusRequest = { fc: FC_OF_KIND[r.kind], address: r.address, count: r.count };
    const request = encodeRtu(unit, encodeRequest(req));
    const x = await transact(port, request, probeTimeoutMs(opts, line, request.length, replyBytes(r)), modbusComplete(unit));
    let words: number[] | undefined;
    if (x.kind === 'reply') {
      present = true;
      await sleep(gapMs); // the 3.5-character silence before the next request
      try {
        const res = parseResponse(decodeRtu(x.bytes.subarray(0, rtuResponseLength(x.bytes))).pdu, req);
        if ('registers' in res) words = res.registers;
        else if ('bits' in res) words = res.bits.map((b) => (b ? 1 : 0));
      } catch {
        words = undefined; // a reply that does not fit the request: there, but not this profile
      }
    }
    cache.set(key, words);
    return words;
  };
  await read(presence);
  if (!present) return undefined;
  const profile = await identifyProfile(profiles, read);
  return { protocol: 'modbus', unit, baudRate: line.baudRate, parity: line.parity, profile };
}
