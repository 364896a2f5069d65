/**
 * Seeded pseudo-random numbers (sfc32): the same seed gives the same run. Each meter derives
 * its own stream from (seed, unit, purpose), so adding a meter never changes another's values.
 */
export type Rng = () => number;

function hash32(str: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < str.length; i++) {
    h ^= str.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function createRng(seed: number | string, ...stream: Array<string | number>): Rng {
  const key = `${seed}/${stream.join('/')}`;
  let a = hash32(key);
  let b = hash32(key + '#b');
  let c = hash32(key + '#c');
  let d = 1;
  const next = (): number => {
    a |= 0; b |= 0; c |= 0; d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  return next;
}

/** Uniform in [-1, 1). */
export const symmetric = (rng: Rng): number => rng() * 2 - 1;
