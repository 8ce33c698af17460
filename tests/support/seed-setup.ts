import fc from 'fast-check';
import { RUN_SEED, seedIn } from './random.js';

// Vitest setup file, run in each worker before its test file: every fast-check property without a
// seed of its own (the conformance kit's, the stores' tests) runs from the run's printed seed.
const seed = seedIn(RUN_SEED);
if (seed !== undefined) fc.configureGlobal({ ...fc.readConfigureGlobal(), seed });
