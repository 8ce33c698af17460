/**
 * Every randomised test runs from one seed per run: chosen (or taken from PARLEY_SEED) and printed by
 * the global setup, handed to fast-check in every worker, and the fallback of `seedFrom`.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { RUN_SEED, seedFrom } from '../support/random.js';

const saved = { run: process.env[RUN_SEED], own: process.env.PROBE_SEED };
afterEach(() => {
  process.env[RUN_SEED] = saved.run;
  if (saved.own === undefined) delete process.env.PROBE_SEED;
  else process.env.PROBE_SEED = saved.own;
});

describe('the run seed', () => {
  it('reaches the worker through the environment, as a non-negative integer', () => {
    expect(process.env[RUN_SEED]).toMatch(/^\d+$/);
  });

  it("is fast-check's global seed, so an unseeded property replays exactly", () => {
    const seed = Number(process.env[RUN_SEED]);
    expect(fc.readConfigureGlobal().seed).toBe(seed);
    const draw = () => fc.sample(fc.integer(), { numRuns: 5 });
    expect(draw()).toEqual(fc.sample(fc.integer(), { numRuns: 5, seed }));
  });

  it('is what seedFrom returns unless the file has its own variable', () => {
    process.env[RUN_SEED] = '4242';
    delete process.env.PROBE_SEED;
    expect(seedFrom('PROBE_SEED')).toBe(4242);
    process.env.PROBE_SEED = '7';
    expect(seedFrom('PROBE_SEED')).toBe(7);
    process.env[RUN_SEED] = 'x';
    delete process.env.PROBE_SEED;
    expect(() => seedFrom('PROBE_SEED')).toThrow(/PARLEY_SEED must be a non-negative integer/);
  });
});
