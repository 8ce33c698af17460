import { randomBytes } from 'node:crypto';
import { createClient, type ParleyClient, type WebSocketConstructor } from '@parley/client';
import { createChat, type Chat } from '@parley/core';
import { createRedisPubSub } from '@parley/pubsub-redis';
import { createPostgresStore } from '@parley/storage-postgres';
import type { ConversationEvent } from '@parley/protocol';
import { Redis } from 'ioredis';
import { Kysely, PostgresDialect, sql } from 'kysely';
// pg must be loaded by file path inside vitest workers; storage-postgres's test helper does exactly that.
import { Client, createPool } from '../../../packages/storage-postgres/test/support/pg.js';
import WebSocket from 'ws';
import { signToken } from '../src/auth.js';
import { DEFAULTS } from '../src/config.js';

export const DATABASE_URL = process.env.DATABASE_URL ?? DEFAULTS.databaseUrl;
export const REDIS_URL = process.env.REDIS_URL ?? DEFAULTS.redisUrl;
export const SECRET = 'cluster-test-secret';

/**
 * Whether Postgres and Redis answer on 127.0.0.1. Without them the cluster tests are skipped with the
 * reason printed, except in CI (`CI=true`) where they fail.
 */
export async function servicesAvailable(): Promise<boolean> {
  const problems: string[] = [];
  const client = new Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (error) {
    problems.push(`Postgres at ${DATABASE_URL}: ${String(error)}`);
  } finally {
    await client.end().catch(() => {});
  }
  const redis = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    problems.push(`Redis at ${REDIS_URL}: ${String(error)}`);
  } finally {
    redis.disconnect();
  }
  if (problems.length === 0) return true;
  const reason = `examples/cluster tests need ${problems.join('; ')}. Set DATABASE_URL / REDIS_URL or start the services.`;
  if (process.env.CI === 'true') throw new Error(reason);
  console.warn(`[skip] ${reason}`);
  return false;
}

/** A schema and Redis prefix of their own, so the run shares the services with anything else safely. */
export function isolation(): { schema: string; redisPrefix: string } {
  const tag = randomBytes(5).toString('hex');
  return { schema: `parley_cluster_${tag}`, redisPrefix: `parley-cluster-${tag}:` };
}

/** The test's own view of the data: a chat on the same Postgres schema (no transport). */
export interface Admin {
  chat: Chat;
  redis: Redis;
  /** Every event of a conversation as the server has it, by seq. */
  history(conversationId: string, asUser: string): Promise<ConversationEvent[]>;
  /** Drop the schema and the Redis keys of the run, close everything. */
  dispose(): Promise<void>;
}

export async function openAdmin(schema: string, redisPrefix: string, redisUrl = REDIS_URL): Promise<Admin> {
  const pool = createPool({ connectionString: DATABASE_URL, max: 4 });
  pool.on('error', () => {});
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  redis.on('error', () => {});
  const pubsub = createRedisPubSub({ redis: redis.duplicate(), prefix: redisPrefix });
  const chat = createChat({ store: createPostgresStore({ db, schema }), pubsub });
  return {
    chat,
    redis,
    async history(conversationId, asUser) {
      const out: ConversationEvent[] = [];
      let after = 0;
      for (;;) {
        const page = await chat.as(asUser).history({ conversationId, after, limit: 200, all: true });
        out.push(...page.events);
        if (!page.hasMore || page.events.length === 0) return out;
        after = page.events[page.events.length - 1]!.seq;
      }
    },
    async dispose() {
      await chat.close();
      await pubsub.close();
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db).catch(() => {});
      const keys = await redis.keys(`${redisPrefix}*`).catch(() => [] as string[]);
      if (keys.length > 0) await redis.del(...keys).catch(() => {});
      redis.disconnect();
      await db.destroy();
    },
  };
}

/** A client SDK instance for `userId`, on Node's `ws`, keeping every message of a conversation in memory. */
export function clientFor(url: string, userId: string): ParleyClient {
  return createClient({
    url,
    token: signToken(SECRET, userId),
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    window: null,
    messageWindow: 100_000,
    reconnect: { baseMs: 50, capMs: 500, stableAfterMs: 1000 },
    requestTimeoutMs: 10_000,
    pingIntervalMs: 2_000,
  });
}

/** Poll until `check` holds; fails after `ms` with `what`. */
export async function until(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
