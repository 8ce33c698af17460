import { rng } from '../../bench/src/stats.js';

/** A seeded PRNG (the bench's mulberry32): the same seed gives the same sequence, so a run can be replayed. */
export const seeded = rng;

/** A seed from `env[name]` when set (to replay a run), else a fresh random one. */
export function seedFrom(name: string): number {
  const given = process.env[name];
  if (given !== undefined && given !== '') {
    const n = Number(given);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(given)}`);
    return n;
  }
  return Math.floor(Math.random() * 2 ** 31);
}

/** Pick one element. */
export const pick = <T>(random: () => number, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

/** A random integer in [min, max]. */
export const between = (random: () => number, min: number, max: number): number => min + Math.floor(random() * (max - min + 1));
