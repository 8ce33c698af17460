import { afterAll, beforeAll, describe } from 'vitest';
import { migrate } from '../src/migrations.js';
import { chatTransactionSuite } from './support/chat-transaction-suite.js';
import { dropSchema, randomSchema, serverAvailable, serverDb } from './support/server.js';

// The host's business write and a chat event in one transaction on a Postgres server
// (the same suite runs on PGlite in pglite-store.test.ts).
const available = await serverAvailable();

describe.skipIf(!available)('Postgres server', () => {
  const schema = randomSchema('parley_tx');
  const { db } = serverDb(6);
  beforeAll(() => migrate({ db, schema }));
  afterAll(async () => {
    await dropSchema(db, schema);
    await db.destroy();
  });
  chatTransactionSuite(() => ({ db, schema }));
});
