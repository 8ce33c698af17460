import { rng } from '../../bench/src/stats.js';

/** A seeded PRNG (the bench's mulberry32): the same seed gives the same sequence, so a run can be replayed. */
export const seeded = rng;

/** The run's seed variable: set it to replay a whole run (`PARLEY_SEED=<printed seed> npm test`). */
export const RUN_SEED = 'PARLEY_SEED';

/** A non-negative integer seed from `env[name]`, or undefined when it is not set. */
export function seedIn(name: string): number | undefined {
  const given = process.env[name];
  if (given === undefined || given === '') return undefined;
  const n = Number(given);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(given)}`);
  return n;
}

/**
 * A seed from `env[name]` when set (to replay one test file), else the run's `PARLEY_SEED` (chosen and
 * printed once per run by tests/support/seed-global-setup.ts), else a fresh random one.
 */
export function seedFrom(name: string): number {
  return seedIn(name) ?? seedIn(RUN_SEED) ?? Math.floor(Math.random() * 2 ** 31);
}

/** Pick one element. */
export const pick = <T>(random: () => number, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

/** A random integer in [min, max]. */
export const between = (random: () => number, min: number, max: number): number => min + Math.floor(random() * (max - min + 1));
