import { MongoClient } from 'mongodb';
import { createMongoStore, ensureIndexes, type MongoStoreOptions } from '@parley/storage-mongo';
import type { ChatStore } from '@parley/core';

/** A MongoDB-backed Parley store with its indexes in place, plus a way to close the client. */
export async function mongoStore(options: {
  url: string;
  database: string;
  clientOptions?: ConstructorParameters<typeof MongoClient>[1];
  store?: Omit<MongoStoreOptions, 'db'>;
}): Promise<{ store: ChatStore; client: MongoClient; close(): Promise<void> }> {
  const client = await new MongoClient(options.url, options.clientOptions).connect();
  const db = client.db(options.database);
  await ensureIndexes(db);
  return { store: createMongoStore({ db, ...options.store }), client, close: () => client.close() };
}
