import type { ChatStore } from '@parley/core';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { migrate } from '../src/migrations.js';
import { createPostgresStore } from '../src/postgres-store.js';
import { openPGlite, truncateAll } from './support/pglite.js';
import { chatTransactionSuite } from './support/chat-transaction-suite.js';
import { defineStoreSuite } from './support/store-suite.js';

let db: Kysely<unknown>;
let close: () => Promise<void>;
let store: ChatStore;

beforeAll(async () => {
  const opened = await openPGlite();
  db = opened.db;
  close = () => opened.pglite.close();
  await migrate({ db });
  store = createPostgresStore({ db });
});
beforeEach(() => truncateAll(db));
afterAll(async () => {
  await db.destroy();
  await close();
});

defineStoreSuite({ store: () => store });
chatTransactionSuite(() => ({ db }));
