/**
 * One persisted state record: a header line with the body length and CRC-32, then the JSON body.
 *
 *     PESTATE/1 <body bytes> <crc32 hex>\n{"gen":N,"energy":{...},"cold":{...}}
 *
 * The energy counters change on every pulse; everything else ("cold") rarely, so its JSON is
 * cached by the core's coldVersion and only the small energy object is stringified per pulse.
 */
import { crc32 } from 'node:zlib';
import { PrepaidError } from '@prepaid-edge/protocols';
import type { MeterState } from '../core/types.js';
import { checkStateShape } from './state-shape.js';

const MAGIC = 'PESTATE/1';
const MAX_BODY = 1 << 20;

function coldPart(s: MeterState): Omit<MeterState, 'energy'> {
  const { energy: _energy, ...cold } = s;
  return cold;
}

export class StateCodec {
  private cachedVersion: number | undefined;
  private cachedState: MeterState | undefined;
  private coldJson = '';

  /** `coldVersion` lets repeated saves reuse the cold JSON; omit it to always re-serialise. */
  encode(state: MeterState, gen: number, coldVersion?: number): string {
    if (coldVersion === undefined || coldVersion !== this.cachedVersion || state !== this.cachedState) {
      this.coldJson = JSON.stringify(coldPart(state));
      this.cachedVersion = coldVersion;
      this.cachedState = state;
    }
    const body = `{"gen":${gen},"energy":${JSON.stringify(state.energy)},"cold":${this.coldJson}}`;
    const crc = crc32(body).toString(16).padStart(8, '0');
    return `${MAGIC} ${Buffer.byteLength(body)} ${crc}\n${body}`;
  }
}

function corrupt(message: string, offset: number): PrepaidError {
  return new PrepaidError('E_STORE_CORRUPT', `state record: ${message} (at byte ${offset})`, { offset });
}

/** Record text -> generation and state; any damage throws E_STORE_CORRUPT with an offset or path. */
export function decodeStateRecord(text: string): { gen: number; state: MeterState } {
  const nl = text.indexOf('\n');
  if (nl < 0 || nl > 64) throw corrupt('no header line', Math.min(text.length, 64));
  const m = /^PESTATE\/1 (\d{1,7}) ([0-9a-f]{8})$/.exec(text.slice(0, nl));
  if (!m) throw corrupt('bad header', 0);
  const declared = Number(m[1]);
  const body = text.slice(nl + 1);
  const bytes = Buffer.byteLength(body);
  if (declared > MAX_BODY || bytes !== declared) throw corrupt(`body is ${bytes} bytes, header says ${declared}`, nl + 1 + Math.min(bytes, declared));
  if (crc32(body) !== parseInt(m[2]!, 16)) throw corrupt('CRC-32 mismatch', nl + 1);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw corrupt('body is not JSON', nl + 1);
  }
  const rec = parsed as { gen?: unknown; energy?: unknown; cold?: unknown };
  if (typeof rec !== 'object' || rec === null || typeof rec.gen !== 'number' || !Number.isSafeInteger(rec.gen) || rec.gen < 1)
    throw new PrepaidError('E_STORE_CORRUPT', 'state record: gen is not a positive integer', { path: 'gen' });
  if (typeof rec.cold !== 'object' || rec.cold === null) throw new PrepaidError('E_STORE_CORRUPT', 'state record: cold is not an object', { path: 'cold' });
  const state = checkStateShape({ ...(rec.cold as object), energy: rec.energy });
  return { gen: rec.gen, state };
}
