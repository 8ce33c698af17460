import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The bench's own tests (the instrument's accounting), run from source like the rest of the repo:
// `npx vitest run --config bench/vitest.config.ts` from the root, or `npm test -w @parley/bench`.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  resolve: { conditions: ['@parley/source', 'module', 'browser', 'development|production'] },
  ssr: { resolve: { conditions: ['@parley/source', 'module', 'node', 'development|production'] } },
  test: { include: ['src/**/*.test.ts'], testTimeout: 30_000, pool: 'forks' },
});
