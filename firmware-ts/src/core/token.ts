/**
 * What an STS token typed on the keypad (or console) does to this meter. Pure: decodes with the
 * shared codec in protocols/, checks "accepted once" against the TID memory, and returns the new
 * TID memory and local credit for the core to store.
 *
 * Local credit is the backup disconnect threshold: an electricity token of X kWh moves it X kWh
 * further (from the present energyImport if it was off or already reached). The meter's only own
 * disconnect stays the threshold, so the same rule enforces gateway and token credit.
 */
import { acceptTid, decodeToken, isPrepaidError, type StsBaseDate, type StsToken } from '@prepaid-edge/protocols';

export interface TokenContext {
  /** Decoder key, 16 hex digits; undefined = no key loaded. */
  decoderKey: string | undefined;
  baseDate: StsBaseDate;
  tids: readonly number[];
  importWh: number;
  thresholdWh: number;
}

export type TokenReject = 'format' | 'invalid' | 'used' | 'old' | 'wrong-service' | 'unsupported' | 'no-key' | 'overflow';

export type TokenOutcome =
  | { ok: true; kind: 'credit'; wh: number; tid: number; tids: number[]; thresholdWh: number }
  | { ok: true; kind: 'clearCredit'; tid: number; tids: number[]; thresholdWh: number }
  | { ok: true; kind: 'clearTamper'; tid: number; tids: number[] }
  | { ok: true; kind: 'test'; control: bigint }
  | { ok: false; reason: TokenReject; detail: string };

const MAX_WH = Number.MAX_SAFE_INTEGER;

export function evaluateToken(text: string, ctx: TokenContext): TokenOutcome {
  let token: StsToken;
  try {
    token = decodeToken(text, ctx.decoderKey, { baseDate: ctx.baseDate });
  } catch (e) {
    if (!isPrepaidError(e)) throw e;
    if (e.code === 'E_TOKEN_KEY') return { ok: false, reason: 'no-key', detail: e.message };
    if (e.code === 'E_TOKEN_CRC') return { ok: false, reason: 'invalid', detail: e.message };
    return { ok: false, reason: 'format', detail: e.message };
  }
  if (token.kind === 'test') return { ok: true, kind: 'test', control: token.control };
  if (token.kind === 'credit') {
    if (token.service !== 'electricity') return { ok: false, reason: 'wrong-service', detail: `a ${token.service} token on an electricity meter` };
    const base = Math.max(ctx.thresholdWh, ctx.importWh);
    const wh = token.amountTenths * 100;
    if (base + wh > MAX_WH) return { ok: false, reason: 'overflow', detail: 'credit would overflow the threshold register' };
    const v = acceptTid(ctx.tids, token.tid);
    if (!v.accepted) return { ok: false, reason: v.reason, detail: `token ${v.reason === 'used' ? 'already used' : 'older than the oldest remembered'}` };
    return { ok: true, kind: 'credit', wh, tid: token.tid, tids: [...v.memory], thresholdWh: base + wh };
  }
  if (token.kind === 'clearCredit' && (token.register === 'electricity' || token.register === 'all')) {
    const v = acceptTid(ctx.tids, token.tid);
    if (!v.accepted) return { ok: false, reason: v.reason, detail: `token ${v.reason}` };
    return { ok: true, kind: 'clearCredit', tid: token.tid, tids: [...v.memory], thresholdWh: ctx.thresholdWh === 0 ? 0 : ctx.importWh };
  }
  if (token.kind === 'clearTamper') {
    const v = acceptTid(ctx.tids, token.tid);
    if (!v.accepted) return { ok: false, reason: v.reason, detail: `token ${v.reason}` };
    return { ok: true, kind: 'clearTamper', tid: token.tid, tids: [...v.memory] };
  }
  return { ok: false, reason: 'unsupported', detail: `${token.kind} tokens are not supported by this meter` };
}
