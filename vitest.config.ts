import { defineConfig } from 'vitest/config';

// Every package runs from source through the `@parley/source` export condition,
// so `npm test` needs no build step.
export default defineConfig({
  resolve: { conditions: ['@parley/source', 'module', 'node', 'import', 'default'] },
  ssr: { resolve: { conditions: ['@parley/source', 'module', 'node', 'import', 'default'] } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'tests/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
