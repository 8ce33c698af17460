import { defineConfig } from 'vitest/config';

// Every package runs from source through the `@parley/source` export condition,
// so `npm test` needs no build step.
// Only add our condition to Vite's defaults: vitest hands the conditions to Node as well, and an
// `import` condition there makes `require()` inside CommonJS packages (pg -> pg-pool) load ESM.
export default defineConfig({
  resolve: { conditions: ['@parley/source', 'module', 'browser', 'development|production'] },
  ssr: { resolve: { conditions: ['@parley/source', 'module', 'node', 'development|production'] } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'tests/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default', './scripts/summary-reporter.ts'],
  },
});
