import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type pgTypes from 'pg';

// The root vitest config passes its resolve conditions (including `import`) to Node as
// `--conditions`, so inside test workers `require('pg-pool')` from pg's CommonJS code returns the
// ESM namespace and `import pg from 'pg'` throws ("Class extends value [object Module]").
// Tests therefore load pg's Client and pg-pool's CommonJS files by path. Outside vitest, plain
// `import pg from 'pg'` works as usual.
const require = createRequire(import.meta.url);
const pgDir = dirname(require.resolve('pg/package.json'));

/** pg's `Client` class. */
export const Client = require(join(pgDir, 'lib', 'client.js')) as typeof pgTypes.Client;

const PoolBase = (() => {
  for (const candidate of [join(pgDir, 'node_modules', 'pg-pool', 'index.js'), join(dirname(pgDir), 'pg-pool', 'index.js')]) {
    try {
      return require(candidate) as new (options: pgTypes.PoolConfig, client: typeof pgTypes.Client) => pgTypes.Pool;
    } catch {
      // try the next layout
    }
  }
  throw new Error('pg-pool not found next to pg');
})();

/** A pg Pool bound to {@link Client}. */
export function createPool(options: pgTypes.PoolConfig): pgTypes.Pool {
  return new PoolBase(options, Client);
}
