import { defineConfig } from 'vitest/config';

// Every package runs from source through the `@parley/source` export condition,
// so `npm test` needs no build step.
// Only add our condition to Vite's defaults: vitest hands the conditions to Node as well, and an
// `import` condition there makes `require()` inside CommonJS packages (pg -> pg-pool) load ESM.
export default defineConfig({
  resolve: { conditions: ['@parley/source', 'module', 'browser', 'development|production'] },
  ssr: { resolve: { conditions: ['@parley/source', 'module', 'node', 'development|production'] } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.{ts,tsx}', 'examples/*/test/**/*.test.{ts,tsx}', 'tests/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // one seed per run for every randomised test, printed once; PARLEY_SEED=<seed> replays it
    globalSetup: ['./tests/support/seed-global-setup.ts'],
    setupFiles: ['./tests/support/seed-setup.ts'],
    reporters: ['default', './scripts/summary-reporter.ts'],
  },
});
