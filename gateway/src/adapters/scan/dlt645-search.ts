/**
 * DL/T 645 meters on one line setting, found by address search: a read to the all-AA wildcard
 * address is answered by every meter at once. Silence: none here. One clean reply: one meter, its
 * address in the reply. A garbled reply (two meters talking over each other): fix the lowest
 * still-wildcard address byte to each of 00..99 and ask again, recursively, so each branch holds
 * fewer meters. Each meter found is then told by the `signature` reads of its profile.
 */
import {
  dlt645AddressMatches,
  dlt645DiFromBytes,
  dlt645ReadingFromReply,
  encodeReadDataRequest,
  findFrame,
  parseReadDataReply,
  type Dlt645Frame,
} from '@prepaid-edge/protocols';
import type { Dlt645Profile } from '../acquisition/dlt645-profile.js';
import { decide, type Identification, type ReadOutcome } from './identify.js';
import { pause, transact, type LineContext } from './modbus-probe.js';
import { probeTimeoutMs } from './plan.js';
import type { FoundMeter, Verdict } from './types.js';

/** DL/T 645-2007 lets a meter take up to 500 ms to answer. */
const DLT645_TURNAROUND_MS = 500;
/** Forward active energy: a DI every DL/T 645-2007 meter answers; the reply carries the meter's address. */
const SEARCH_DI = '00010000';
/** Longest reply we expect: 4 wake-up bytes + 12-byte frame + DI + up to 8 value bytes. */
const REPLY_BYTES = 28;

export type SearchEvent = { type: 'probe' } | { type: 'widen'; by: number } | { type: 'found'; meter: FoundMeter };

/** Is `frame` a meter's reply to a read of `di` at `address` (normal, about that DI; or abnormal)? */
function answers(frame: Dlt645Frame, address: string, di: string): boolean {
  if (!frame.fromSlave || !dlt645AddressMatches(address, frame.address)) return false;
  if (frame.abnormal) return true;
  try {
    return frame.data.length >= 4 && dlt645DiFromBytes(frame.data, 0) === di.toUpperCase();
  } catch {
    return false;
  }
}

/** The reply to this read is the answer; any other whole frame is a late reply to an earlier request: skipped. */
function completeFor(address: string, di: string) {
  return (buf: Buffer): Verdict => {
    const f = findFrame(buf);
    if (!f.frame) return 'more';
    return answers(f.frame, address, di) ? 'done' : { skip: f.consumed };
  };
}

/** Addresses of the meters whose whole replies are in late bytes. */
function addressesIn(chunks: readonly Buffer[] = []): string[] {
  const out: string[] = [];
  for (let buf of chunks) {
    for (let f = findFrame(buf); f.frame; buf = buf.subarray(f.consumed), f = findFrame(buf)) if (f.frame.fromSlave) out.push(f.frame.address);
  }
  return out;
}

type Answer = ({ kind: 'none' } | { kind: 'one'; frame: Dlt645Frame } | { kind: 'collision' }) & { late: string[] };

function timeoutMs(ctx: LineContext, request: Buffer): number {
  return ctx.opts.timeoutMs ?? probeTimeoutMs({ ...ctx.opts, stopBits: ctx.stopBits, turnaroundMs: Math.max(ctx.opts.turnaroundMs ?? 0, DLT645_TURNAROUND_MS) }, ctx.line, request.length, REPLY_BYTES);
}

async function ask(ctx: LineContext, address: string, di: string, patience = 1): Promise<Answer> {
  const request = encodeReadDataRequest(address, di);
  const timeout = patience * timeoutMs(ctx, request);
  const x = await transact(ctx.port, request, timeout, completeFor(address, di));
  const late = addressesIn(x.late);
  if (x.kind === 'silence') return { kind: 'none', late };
  const frame = findFrame(x.bytes).frame;
  if (x.kind === 'reply' && frame) return { kind: 'one', frame, late };
  return { kind: 'collision', late };
}

/** How much longer a mask or read is waited for when its reply came late, or a known meter went quiet. */
const LATE_PATIENCE = 3;

/** The next address to narrow: the lowest (least significant) AA pair fixed to `v`. */
function narrow(mask: string, v: number): string | undefined {
  const i = mask.lastIndexOf('AA');
  if (i < 0 || i % 2 !== 0) return undefined;
  return mask.slice(0, i) + String(v).padStart(2, '0') + mask.slice(i + 2);
}

async function identify(ctx: LineContext, address: string, profiles: readonly Dlt645Profile[]): Promise<Identification> {
  const cache = new Map<string, ReadOutcome | number>();
  const read = async (di: string): Promise<ReadOutcome | number> => {
    const hit = cache.get(di);
    if (hit !== undefined) return hit;
    let a = await ask(ctx, address, di);
    if (a.kind === 'none') {
      // The meter answered the search: its reply may be on its way. Let it drain, ask again, wait longer.
      const ms = timeoutMs(ctx, encodeReadDataRequest(address, di));
      await pause(ctx, ms);
      a = await ask(ctx, address, di, LATE_PATIENCE);
      // Asked twice, it may answer twice: let the second reply go by before the next read.
      if (a.kind === 'one') await ctx.port.drain?.(ms);
    }
    let out: ReadOutcome | number = 'silent';
    if (a.kind === 'one') {
      try {
        const r = parseReadDataReply(a.frame, di);
        out = r.ok ? dlt645ReadingFromReply(r).value : 'refused';
      } catch {
        out = [];
      }
    }
    cache.set(di, out);
    return out;
  };
  const candidates: string[] = [];
  const untold: string[] = [];
  for (const p of profiles) {
    if (p.signature.length === 0) continue;
    let verdict: 'holds' | 'fails' | 'untold' = 'holds';
    for (const c of p.signature) {
      const got = await read(c.di);
      if (got === 'silent') verdict = 'untold';
      else if (c.refused ? got !== 'refused' : typeof got !== 'number' || (c.min !== undefined && got < c.min) || (c.max !== undefined && got > c.max)) verdict = 'fails';
      if (verdict !== 'holds') break;
    }
    if (verdict === 'holds') candidates.push(p.id);
    else if (verdict === 'untold') untold.push(p.id);
  }
  return decide(candidates, untold);
}

export async function* searchDlt645(ctx: LineContext, profiles: readonly Dlt645Profile[], signal?: AbortSignal): AsyncGenerator<SearchEvent, void, undefined> {
  const meterAt = (frame: Dlt645Frame, id: Identification): SearchEvent => ({
    type: 'found',
    meter: { protocol: 'dlt645', unit: null, address: frame.address, baudRate: ctx.line.baudRate, parity: ctx.line.parity, stopBits: ctx.stopBits, ...id },
  });
  const stack: Array<{ mask: string; patience: number }> = [{ mask: 'AAAAAAAAAAAA', patience: 1 }];
  /** Masks that got silence: a late reply from a meter they cover sends the mask round again. */
  const silent = new Set<string>();
  const found: string[] = [];
  while (stack.length) {
    if (signal?.aborted) return;
    const { mask, patience } = stack.pop()!;
    const a = await ask(ctx, mask, SEARCH_DI, patience);
    yield { type: 'probe' };
    // After the last probe nothing follows to catch its late reply in: wait one timeout for it.
    const late = [...a.late, ...(stack.length === 0 && a.kind === 'none' && ctx.port.drain ? addressesIn(await ctx.port.drain(timeoutMs(ctx, encodeReadDataRequest(mask, SEARCH_DI)))) : [])];
    if (a.kind === 'none') silent.add(mask);
    for (const addr of late) {
      if (found.includes(addr)) continue;
      for (const m of silent) {
        if (!dlt645AddressMatches(m, addr)) continue;
        silent.delete(m);
        stack.push({ mask: m, patience: LATE_PATIENCE });
        yield { type: 'widen', by: 1 };
      }
    }
    if (a.kind === 'none') continue;
    if (a.kind === 'one') {
      if (found.includes(a.frame.address)) continue;
      found.push(a.frame.address);
      yield meterAt(a.frame, await identify(ctx, a.frame.address, profiles));
    } else {
      if (narrow(mask, 0) === undefined) {
        yield meterAt({ address: mask } as Dlt645Frame, { profile: null, candidates: [], problem: `more than one meter answers at address ${mask}: two meters share it` });
        continue;
      }
      yield { type: 'widen', by: 100 };
      for (let v = 99; v >= 0; v--) stack.push({ mask: narrow(mask, v)!, patience: 1 });
    }
  }
}
