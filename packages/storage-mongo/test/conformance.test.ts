import { runStoreConformance } from '@parley/core/testing';
import { afterAll } from 'vitest';
import { COLLECTION_NAMES, createMongoStore, ensureIndexes } from '../src/index.js';
import { startTestServer } from './server.js';

const server = await startTestServer();
const db = server.database();
await ensureIndexes(db, { textIndex: server.kind === 'real' });

afterAll(async () => {
  await server.close();
});

runStoreConformance({
  name: `mongo (${server.description.split(' (')[0]})`,
  create: () => createMongoStore({ db, capabilities: server.capabilities }),
  async reset() {
    for (const name of COLLECTION_NAMES) await db.collection(`parley_${name}`).deleteMany({});
  },
  close: () => undefined,
  capabilities: server.capabilities,
  async snapshot() {
    const dump: Record<string, unknown[]> = {};
    for (const name of COLLECTION_NAMES) {
      dump[name] = await db.collection(`parley_${name}`).find({}, { projection: { _id: 0 } }).sort({ _id: 1 }).toArray();
    }
    return dump;
  },
});
