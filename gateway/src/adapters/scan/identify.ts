/**
 * Which profile a Modbus meter speaks, purely from the `signature` checks of
 * protocols/profiles/*.json: a meter is a profile when every one of its checks holds (a read
 * answered with each register inside in range, or a read refused with an exception). Exactly one
 * profile holding names the meter; none or several leave it unnamed, with the candidates and the
 * problem said, never a guess. Pure: the reads are done by the caller's `read`.
 */
import { decodeRegisterValue, isPlausible, registerWidth, type MeterProfile, type RegisterDef, type RegisterKind, type SignatureCheck, type SignatureRead } from '@prepaid-edge/protocols';

/**
 * What a read got: the words (bits as 0/1), 'refused' for a Modbus exception, or 'silent' when
 * the meter did not answer even when asked again (then no profile can be told).
 */
export type ReadOutcome = number[] | 'refused' | 'silent';
export type SignatureReader = (read: SignatureRead) => Promise<ReadOutcome>;

export interface Identification {
  profile: string | null;
  /** Profiles whose checks all held (several = ambiguous); empty when none did. */
  candidates: string[];
  /** Why `profile` is null. */
  problem?: string;
}

export const FC_OF_KIND: Readonly<Record<RegisterKind, 0x01 | 0x02 | 0x03 | 0x04>> = { coil: 0x01, discrete: 0x02, holding: 0x03, input: 0x04 };

export function readKey(r: SignatureRead): string {
  return `${r.kind}:${r.address}:${r.count}`;
}

/** The presence probe: the smallest signature read of any profile (its reply is reused to identify). */
export function presenceRead(profiles: readonly MeterProfile[]): SignatureRead {
  const reads = profiles.flatMap((p) => p.signature.filter((s) => !s.refused));
  if (reads.length === 0) return { kind: 'input', address: 0, count: 1 };
  const best = reads.reduce((b, r) => (r.count < b.count ? r : b));
  return { kind: best.kind, address: best.address, count: best.count };
}

/** Bytes of the reply to a read: unit + fc + byte count + data + CRC. */
export function replyBytes(r: SignatureRead): number {
  return 5 + (r.kind === 'coil' || r.kind === 'discrete' ? Math.ceil(r.count / 8) : 2 * r.count);
}

function inside(def: RegisterDef, r: SignatureRead): boolean {
  return def.kind === r.kind && def.address >= r.address && def.address + registerWidth(def.type) <= r.address + r.count;
}

/** Whether the words of one answered check look like `profile` (ranges from the check, else the register). */
export function wordsMatch(profile: MeterProfile, check: SignatureCheck, words: readonly number[]): boolean {
  if (words.length < check.count) return false;
  for (const def of profile.registers) {
    if (!inside(def, check) || def.access === 'w') continue;
    const off = def.address - check.address;
    let value: number;
    try {
      value = decodeRegisterValue(def, words.slice(off, off + registerWidth(def.type)));
    } catch {
      return false;
    }
    if (Number.isNaN(value)) return false;
    const range = check.expect[def.name];
    if (range) {
      if ((range.min !== undefined && value < range.min) || (range.max !== undefined && value > range.max)) return false;
    } else if ((def.min !== undefined || def.max !== undefined) && !isPlausible(def, value)) return false;
  }
  return true;
}

/** Does the outcome of a check's read satisfy it? */
function holds(profile: MeterProfile, check: SignatureCheck, got: ReadOutcome): boolean {
  if (check.refused) return got === 'refused';
  return Array.isArray(got) && wordsMatch(profile, check, got);
}

export async function identifyProfile(profiles: readonly MeterProfile[], read: SignatureReader): Promise<Identification> {
  const candidates: string[] = [];
  /** Profiles not ruled out because a read of theirs went unanswered. */
  const untold: string[] = [];
  for (const p of profiles) {
    if (p.signature.length === 0) continue;
    let verdict: 'holds' | 'fails' | 'untold' = 'holds';
    for (const check of p.signature) {
      const got = await read(check);
      if (got === 'silent') verdict = 'untold';
      else if (!holds(p, check, got)) verdict = 'fails';
      if (verdict !== 'holds') break;
    }
    if (verdict === 'holds') candidates.push(p.id);
    else if (verdict === 'untold') untold.push(p.id);
  }
  return decide(candidates, untold);
}

/** The verdict from the profiles whose checks all held and those a silent read left untold. */
export function decide(candidates: readonly string[], untold: readonly string[]): Identification {
  const all = [...candidates, ...untold];
  if (untold.length > 0) return { profile: null, candidates: all, problem: `no clean answer to an identification read of ${untold.join(', ')} (asked twice), so ${all.join(' or ')} cannot be told` };
  if (candidates.length === 1) return { profile: candidates[0]!, candidates: all };
  if (candidates.length > 1) return { profile: null, candidates: all, problem: `ambiguous: the signatures of ${candidates.join(' and ')} all hold; the profiles need a check that tells them apart` };
  return { profile: null, candidates: all, problem: 'no profile signature holds' };
}
