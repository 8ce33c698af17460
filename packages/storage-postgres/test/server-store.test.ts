import type { ChatStore } from '@parley/core';
import { afterAll, beforeAll, beforeEach, describe } from 'vitest';
import { migrate } from '../src/migrations.js';
import { createPostgresStore } from '../src/postgres-store.js';
import { truncateAll } from './support/pglite.js';
import { dropSchema, randomSchema, serverAvailable, serverDb } from './support/server.js';
import { defineStoreSuite } from './support/store-suite.js';

const available = await serverAvailable();

describe.skipIf(!available)('postgres server store', () => {
  const schema = randomSchema();
  const { db } = serverDb(20);
  let store: ChatStore;

  beforeAll(async () => {
    await migrate({ db, schema });
    store = createPostgresStore({ db, schema });
  });
  beforeEach(() => truncateAll(db, schema));
  afterAll(async () => {
    await dropSchema(db, schema);
    await db.destroy();
  });

  defineStoreSuite({ store: () => store });
});
