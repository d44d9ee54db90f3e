import type { Policy } from '../policy/schema';

/**
 * Champion/challenger assignment by a stable hash of the loan id: the same loan always
 * lands in the same arm, on every worker and on replay. Pure JS (no Node crypto) so it
 * also runs inside the Temporal workflow sandbox.
 */

export type Experiment = NonNullable<Policy['experiment']>;
export type Arm = 'champion' | 'challenger';

/** FNV-1a 32-bit over the UTF-8 bytes of `text`, followed by a murmur3 finaliser so nearby ids spread evenly. */
export function stableHash32(text: string): number {
  let hash = 0x811c9dc5;
  const mix = (byte: number): void => {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  };
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (code < 0x80) mix(code);
    else if (code < 0x800) {
      mix(0xc0 | (code >> 6));
      mix(0x80 | (code & 0x3f));
    } else if (code < 0x10000) {
      mix(0xe0 | (code >> 12));
      mix(0x80 | ((code >> 6) & 0x3f));
      mix(0x80 | (code & 0x3f));
    } else {
      mix(0xf0 | (code >> 18));
      mix(0x80 | ((code >> 12) & 0x3f));
      mix(0x80 | ((code >> 6) & 0x3f));
      mix(0x80 | (code & 0x3f));
    }
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/** A uniform-looking position in [0, 1) for this loan under this experiment's salt. */
export function experimentBucket(loanId: string, salt: string): number {
  return stableHash32(`${salt}:${loanId}`) / 0x1_0000_0000;
}

/**
 * The loan's arm. Without an experiment, or when the experiment lists segments and the
 * case's `segment` is not one of them, every case is a champion.
 */
export function assignArm(loanId: string, experiment: Experiment | undefined, segment?: string): Arm {
  if (!experiment || experiment.share <= 0) return 'champion';
  if (experiment.segments && (segment === undefined || !experiment.segments.includes(segment))) return 'champion';
  return experimentBucket(loanId, experiment.salt) < experiment.share ? 'challenger' : 'champion';
}
