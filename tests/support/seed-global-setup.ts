import { RUN_SEED, seedIn } from './random.js';

/**
 * Vitest global setup: one seed per run for every randomised test, printed once. The test workers
 * inherit it through the environment; tests/support/seed-setup.ts hands it to fast-check and
 * `seedFrom` falls back to it. Replay a run with `PARLEY_SEED=<seed> npm test` (or one file with
 * `PARLEY_SEED=<seed> npx vitest run <file>`).
 */
export default function setup(): void {
  const seed = seedIn(RUN_SEED) ?? Math.floor(Math.random() * 2 ** 31);
  process.env[RUN_SEED] = String(seed);
  console.log(`[seed] ${RUN_SEED}=${seed} (replay: ${RUN_SEED}=${seed} npm test)`);
}
