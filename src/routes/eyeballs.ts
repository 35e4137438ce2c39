/**
 * The order of connection attempts for Happy Eyeballs (RFC 8305 §4): the addresses are taken
 * family by family in turn, starting with the family of the first answer, so that a broken
 * family costs one stagger delay rather than a timeout per address. Pure.
 */
export interface Candidate {
  readonly address: string;
  readonly family: number;
}

export function interleave<T extends Candidate>(addresses: readonly T[]): T[] {
  const first = addresses[0]?.family;
  const primary = addresses.filter((a) => a.family === first);
  const secondary = addresses.filter((a) => a.family !== first);
  const out: T[] = [];
  for (let i = 0; i < Math.max(primary.length, secondary.length); i++) {
    if (i < primary.length) out.push(primary[i]!);
    if (i < secondary.length) out.push(secondary[i]!);
  }
  return out;
}

/** RFC 8305 §8 recommends 250 ms between attempts; 10 ms is its floor, 2 s its ceiling. */
export const DEFAULT_ATTEMPT_DELAY_MS = 250;
export const MIN_ATTEMPT_DELAY_MS = 10;
export const MAX_ATTEMPT_DELAY_MS = 2000;
