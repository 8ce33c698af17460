import type { AddressInfo } from 'node:net';
import type { StoreCapabilities } from '@parley/core';
import type { Db } from 'mongodb';

/** A MongoDB database for the bench: a real server (`MONGODB_URL`) or in-process CongoDB. */
export interface MongoTarget {
  kind: 'mongodb' | 'congodb';
  db: Db;
  /** Server version (MongoDB only). */
  version: string | null;
  /** Store capability overrides (CongoDB has no `$text`). */
  capabilities: Partial<StoreCapabilities>;
  /** Drop the bench database (MongoDB) or stop the server (CongoDB), and disconnect. */
  close(): Promise<void>;
}

/**
 * Connect to MongoDB at `url` (a database `parley_bench_<pid>` is created there and dropped by
 * `close`), or with no url start CongoDB on a port of 127.0.0.1 chosen by the OS.
 */
export async function connectMongo(url: string | undefined): Promise<MongoTarget> {
  const { MongoClient } = await import('mongodb');
  const name = `parley_bench_${process.pid}`;
  if (url !== undefined) {
    const client = await new MongoClient(url, { serverSelectionTimeoutMS: 10_000 }).connect();
    const db = client.db(name);
    await db.dropDatabase();
    const info = await db.admin().serverInfo().catch(() => null);
    return {
      kind: 'mongodb',
      db,
      version: typeof info?.version === 'string' ? info.version : null,
      capabilities: {},
      async close() {
        await db.dropDatabase().catch(() => undefined);
        await client.close();
      },
    };
  }
  const { congodb } = await import('@push.rocks/smartmongo');
  const server = new congodb.CongoServer({ port: 0 });
  await server.start();
  // The server object does not report a port chosen by the OS; read it from the listening socket.
  const port = ((server as unknown as { server: { address(): AddressInfo } }).server.address()).port;
  const client = await new MongoClient(`mongodb://127.0.0.1:${port}`, { directConnection: true, serverMonitoringMode: 'poll' }).connect();
  return {
    kind: 'congodb',
    db: client.db(name),
    version: null,
    capabilities: { fullTextSearch: false },
    async close() {
      await client.close();
      await server.stop();
    },
  };
}
