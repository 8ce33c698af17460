/**
 * Which MongoDB the tests run against, chosen once per test file:
 *
 * 1. `MONGODB_URL` set: that server, in a fresh database dropped at the end.
 * 2. Otherwise `mongodb-memory-server` (a real mongod it downloads on first use), given a few seconds.
 * 3. Otherwise CongoDB, a wire-compatible server in TypeScript, in-process on a free port. It lacks
 *    `$text`, so the store runs with `{ fullTextSearch: false }` (search in `$regex` mode). It also
 *    does not enforce secondary unique indexes, but this store's uniqueness never rests on them:
 *    every key it must keep unique is a derived `_id`, which CongoDB does enforce. So the suites
 *    gated on `uniqueConstraints` run here too (they pass), rather than being skipped.
 */
import type { StoreCapabilities } from '@parley/core';
import { afterAll, beforeAll } from 'vitest';
import { ensureIndexes } from '../src/index.js';
import { MongoClient } from 'mongodb';
import type { Db } from 'mongodb';
import { randomUUID } from 'node:crypto';
import type { AddressInfo, Server } from 'node:net';

/** A server for one test file. */
export interface TestServer {
  /** `real` (MONGODB_URL or mongodb-memory-server) or `congodb`. */
  kind: 'real' | 'congodb';
  /** What was used, for the log. */
  description: string;
  client: MongoClient;
  /** Capability overrides the store must run with on this server. */
  capabilities: Partial<StoreCapabilities>;
  /** A fresh database on this server (dropped by `close`). */
  database(): Db;
  close(): Promise<void>;
}

const MEMORY_SERVER_TIMEOUT_MS = 5_000;

async function withTimeout<T>(promise: Promise<T>, ms: number, onLate: (value: T) => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      reject(new Error(`no answer within ${ms} ms`));
    }, ms);
  });
  promise.then((v) => timedOut && onLate(v)).catch(() => undefined);
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function track(client: MongoClient, extraClose: () => Promise<void>, base: Omit<TestServer, 'database' | 'close' | 'client'>): TestServer {
  const dbs: Db[] = [];
  return {
    ...base,
    client,
    database() {
      const db = client.db(`parley_test_${randomUUID().replace(/-/g, '').slice(0, 16)}`);
      dbs.push(db);
      return db;
    },
    async close() {
      for (const db of dbs) await db.dropDatabase().catch(() => undefined);
      await client.close();
      await extraClose();
    },
  };
}

let announced = false;

/** Start (or connect to) the test server; logs what was used and what that skips. */
export async function startTestServer(): Promise<TestServer> {
  const url = process.env.MONGODB_URL;
  let server: TestServer;
  if (url) {
    const client = await new MongoClient(url).connect();
    server = track(client, async () => undefined, { kind: 'real', description: 'MongoDB from MONGODB_URL', capabilities: {} });
  } else {
    let reason = '';
    try {
      const { MongoMemoryServer } = await import('mongodb-memory-server-core');
      const mongod = await withTimeout(MongoMemoryServer.create(), MEMORY_SERVER_TIMEOUT_MS, (late) => void late.stop());
      const client = await new MongoClient(mongod.getUri()).connect();
      server = track(client, async () => void (await mongod.stop()), { kind: 'real', description: 'mongodb-memory-server', capabilities: {} });
    } catch (error) {
      reason = error instanceof Error ? error.message.split('\n')[0]! : String(error);
      server = await startCongo();
      server.description = `CongoDB in-process (mongodb-memory-server unavailable: ${reason.slice(0, 120)})`;
    }
  }
  if (!announced) {
    announced = true;
    const skips =
      server.kind === 'congodb'
        ? ' Search runs in $regex mode: $text search is not tested (CongoDB has no $text). Unique-key suites run: the store keeps keys unique through _id, which CongoDB enforces. Set MONGODB_URL to test against MongoDB itself.'
        : '';
    console.log(`[storage-mongo tests] server: ${server.description}.${skips}`);
  }
  return server;
}

async function startCongo(): Promise<TestServer> {
  const { congodb } = await import('@push.rocks/smartmongo');
  const congo = new congodb.CongoServer({ port: 0 });
  await congo.start();
  // The server object does not report a port chosen by the OS; read it from the listening socket.
  const socket = (congo as unknown as { server: Server }).server;
  const port = (socket.address() as AddressInfo).port;
  const client = await new MongoClient(`mongodb://127.0.0.1:${port}`, { directConnection: true, serverMonitoringMode: 'poll' }).connect();
  return track(client, () => congo.stop(), {
    kind: 'congodb',
    description: 'CongoDB in-process',
    capabilities: { fullTextSearch: false },
  });
}

/** Start a server before the file's tests and stop it after them; returns a getter. */
export function useTestServer(): () => TestServer {
  let server: TestServer | undefined;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
  });
  return () => {
    if (!server) throw new Error('the test server is not started yet');
    return server;
  };
}

/** A fresh database with the store's indexes (no text index where `$text` is missing). */
export async function freshDatabase(server: TestServer): Promise<Db> {
  const db = server.database();
  await ensureIndexes(db, { textIndex: server.kind === 'real' });
  return db;
}
