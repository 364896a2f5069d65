/**
 * Which profile a Modbus meter speaks, from the `signature` reads of protocols/profiles/*.json:
 * a profile matches when each of its signature reads is answered and every register inside them
 * decodes to a plausible value (min/max of the register, or of its measurement). When several
 * match, the one with the most signature words wins, unless a register of its signature that the
 * other profile does not have is refused when read on its own (meters answer holes in a block
 * read with zeros, so an SDM120 passes the SDM630's block read of L1..L3 voltages, but not a read
 * of the L2 voltage alone). Pure: the reads are done by the caller's `read`.
 */
import { decodeRegisterValue, isPlausible, registerWidth, type MeterProfile, type RegisterDef, type RegisterKind, type SignatureRead } from '@prepaid-edge/protocols';

/** Words (bits as 0/1) of a read, or undefined when the meter refused it or did not answer. */
export type SignatureReader = (read: SignatureRead) => Promise<number[] | undefined>;

export const FC_OF_KIND: Readonly<Record<RegisterKind, 0x01 | 0x02 | 0x03 | 0x04>> = { coil: 0x01, discrete: 0x02, holding: 0x03, input: 0x04 };

export function readKey(r: SignatureRead): string {
  return `${r.kind}:${r.address}:${r.count}`;
}

/** The presence probe: the smallest signature read of any profile (its reply is reused to identify). */
export function presenceRead(profiles: readonly MeterProfile[]): SignatureRead {
  const reads = profiles.flatMap((p) => p.signature);
  if (reads.length === 0) return { kind: 'input', address: 0, count: 1 };
  return reads.reduce((best, r) => (r.count < best.count ? r : best));
}

/** Bytes of the reply to a read: unit + fc + byte count + data + CRC. */
export function replyBytes(r: SignatureRead): number {
  return 5 + (r.kind === 'coil' || r.kind === 'discrete' ? Math.ceil(r.count / 8) : 2 * r.count);
}

function inside(def: RegisterDef, r: SignatureRead): boolean {
  return def.kind === r.kind && def.address >= r.address && def.address + registerWidth(def.type) <= r.address + r.count;
}

/** Whether the words of one signature read look like `profile`. */
export function wordsMatch(profile: MeterProfile, read: SignatureRead, words: readonly number[]): boolean {
  if (words.length < read.count) return false;
  for (const def of profile.registers) {
    if (!inside(def, read) || def.access === 'w') continue;
    const off = def.address - read.address;
    let value: number;
    try {
      value = decodeRegisterValue(def, words.slice(off, off + registerWidth(def.type)));
    } catch {
      return false;
    }
    const bounded = def.min !== undefined || def.max !== undefined;
    if (bounded ? !isPlausible(def, value) : Number.isNaN(value)) return false;
  }
  return true;
}

export function signatureWords(p: MeterProfile): number {
  return p.signature.reduce((s, r) => s + r.count, 0);
}

/** Registers of `a`'s signature that `b` has nothing at: each as a read of its own. */
export function distinguishingReads(a: MeterProfile, b: MeterProfile): SignatureRead[] {
  const out: SignatureRead[] = [];
  for (const r of a.signature) {
    for (const def of a.registers) {
      if (!inside(def, r) || def.access === 'w') continue;
      const w = registerWidth(def.type);
      const clash = b.registers.some((o) => o.kind === def.kind && o.address < def.address + w && def.address < o.address + registerWidth(o.type));
      if (!clash) out.push({ kind: def.kind, address: def.address, count: w });
    }
  }
  return out;
}

/** The profile id the meter behind `read` speaks, or null. Profiles without a signature never match. */
export async function identifyProfile(profiles: readonly MeterProfile[], read: SignatureReader): Promise<string | null> {
  const matched: MeterProfile[] = [];
  for (const p of profiles) {
    if (p.signature.length === 0) continue;
    let ok = true;
    for (const r of p.signature) {
      const words = await read(r);
      if (!words || !wordsMatch(p, r, words)) {
        ok = false;
        break;
      }
    }
    if (ok) matched.push(p);
  }
  matched.sort((x, y) => signatureWords(y) - signatureWords(x) || x.id.localeCompare(y.id));
  for (let i = 0; i < matched.length; i++) {
    const p = matched[i]!;
    let confirmed = true;
    for (const q of matched.slice(i + 1)) {
      const probe = distinguishingReads(p, q)[0];
      if (probe && !(await read(probe))) {
        confirmed = false;
        break;
      }
    }
    if (confirmed) return p.id;
  }
  return null;
}
