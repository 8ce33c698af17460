import { createChat, type Chat } from '@parley/core';
import { announceExpired, createRedisPresence, createRedisPubSub, createRedisRateLimiter, type RedisClient, type RedisPubSub } from '@parley/pubsub-redis';
import { createPostgresDb, createPostgresStore, migrate, type PostgresDb } from '@parley/storage-postgres';
import { createWsServer, type WsServer } from '@parley/transport-ws';
import { Cluster, Redis } from 'ioredis';
import pg from 'pg';
import { verifyToken } from './auth.js';
import type { NodeConfig } from './config.js';

/** A running cluster node. */
export interface ClusterNode {
  /** The port the WebSocket server listens on. */
  port: number;
  chat: Chat;
  ws: WsServer;
  /** Graceful stop: close sockets (clients move to another node), then the bus, presence and pool. */
  close(): Promise<void>;
}

/** The pool: a connection Postgres terminates is reported and replaced, never fatal. */
function openDb(config: NodeConfig): PostgresDb {
  return createPostgresDb({ pg, url: config.databaseUrl, onError: () => {} });
}

/** Apply Parley's migrations to the configured database and schema. */
export async function migrateDatabase(config: NodeConfig): Promise<void> {
  const postgres = openDb(config);
  try {
    await migrate({ db: postgres.db, schema: config.schema });
  } finally {
    await postgres.close();
  }
}

/**
 * One stateless Parley server: Postgres for data, Redis for fan-out and presence, a WebSocket
 * endpoint at `ws://<host>:<port>/parley`. Start as many as you like on any machines; a client may
 * connect to any of them (no sticky sessions).
 */
export async function startNode(config: NodeConfig): Promise<ClusterNode> {
  const postgres = openDb(config);
  const { db } = postgres;
  if (config.migrate) await migrate({ db, schema: config.schema });
  const store = createPostgresStore({ db, schema: config.schema });

  // `maxRetriesPerRequest: null`: while Redis is away, commands wait for it instead of failing.
  const name = `parley-${config.nodeId}`;
  let redis: RedisClient;
  let pubsub: RedisPubSub;
  if (config.redisClusterNodes) {
    // Redis Cluster: the bus uses sharded pub/sub (its subscriber is a duplicate with per-shard
    // subscriber connections); presence and rate-limit keys carry hash tags.
    redis = new Cluster(config.redisClusterNodes, { redisOptions: { maxRetriesPerRequest: null, connectionName: name } });
    pubsub = createRedisPubSub({ redis: redis.duplicate(), prefix: config.redisPrefix });
  } else {
    const single = new Redis(config.redisUrl, { maxRetriesPerRequest: null, connectionName: name });
    redis = single;
    pubsub = createRedisPubSub({ redis: single.duplicate(), subscriber: () => single.duplicate({ connectionName: `${name}-sub` }), prefix: config.redisPrefix });
  }
  const presence = createRedisPresence({ redis, nodeId: config.nodeId, ttlMs: config.presenceTtlMs, prefix: config.redisPrefix });
  // one token bucket per user shared by every node: quotas and request rates hold cluster-wide
  const rateLimiter = createRedisRateLimiter({ redis, prefix: config.redisPrefix });
  redis.on('error', () => {}); // reconnects by itself; the bus reports resets to the transport

  const chat = createChat({ store, pubsub, presence, rateLimiter });
  presence.onExpired(announceExpired(chat));
  const ws = await createWsServer({
    chat,
    port: config.port,
    host: config.host,
    origins: '*',
    authenticate: ({ token }) => (token ? verifyToken(config.secret, token) : null),
    rateLimiter,
    // load tests send faster than a person types
    limits: { ratePerSecond: 1000, rateBurst: 2000, userRatePerSecond: 2000, userRateBurst: 4000, floodCloseAfter: 10_000 },
  });
  const port = ws.address()?.port;
  if (port === undefined) throw new Error('WebSocket server has no address');

  let closing: Promise<void> | null = null;
  return {
    port,
    chat,
    ws,
    close() {
      closing ??= (async () => {
        await ws.close();
        await chat.close();
        await presence.close();
        await pubsub.close();
        redis.disconnect();
        await postgres.close();
      })();
      return closing;
    },
  };
}
