import { createHash, randomUUID } from 'node:crypto';
import type { PresenceRegistry } from '@parley/core';
import { isCluster, type RedisClient } from './redis-pubsub.js';
import { CONNECT, DISCONNECT, HEARTBEAT, ONLINE, SWEEP } from './presence-scripts.js';

/** Options of {@link createRedisPresence}. */
export interface RedisPresenceOptions {
  /** A regular (not subscriber) ioredis client, `Redis` or `Cluster`. The registry never quits it. */
  redis: RedisClient;
  /**
   * On a Redis Cluster, users are spread over this many key groups, each with its own hash tag (one
   * slot, so each script touches one slot) and its own index of users for the sweeper. Every node of
   * a deployment MUST use the same value. Ignored on a single Redis. Default 32.
   */
  shards?: number;
  /** This server's id, unique in the cluster. Default: a random UUID per process. */
  nodeId?: string;
  /**
   * How long a connection counts as online without a heartbeat, in ms. A crashed server's connections
   * go offline this long after its last heartbeat. Default 30 000.
   */
  ttlMs?: number;
  /** Heartbeat period in ms. Default `ttlMs / 3`. */
  heartbeatMs?: number;
  /** How often to look for users whose connections all expired, in ms; 0 turns the sweeper off. Default `ttlMs`. */
  sweepMs?: number;
  /** Key prefix. Default `parley:`. */
  prefix?: string;
  /** Failures of background work (heartbeat, sweep, a listener that threw). */
  onError?: (error: unknown) => void;
}

/** Called once, on one server, for a user whose connections all expired (their server died). */
export type ExpiredListener = (userId: string, lastSeenAt: number) => void | Promise<void>;

/** A {@link PresenceRegistry} shared by every server through Redis. */
export interface RedisPresence extends PresenceRegistry {
  /** This server's id in member names (`<nodeId>:<connectionId>`). */
  readonly nodeId: string;
  /**
   * Listen for users who went offline because their server stopped heartbeating. Exactly one server
   * is told about each such user. Wire it with `presence.onExpired(announceExpired(chat))` so their
   * lastSeenAt is stored and their contacts see them go offline. Returns a function that removes it.
   */
  onExpired(listener: ExpiredListener): () => void;
  /** Refresh this server's connections now (the timer does it every `heartbeatMs`). */
  heartbeat(): Promise<void>;
  /** Claim users whose connections all expired and tell the `onExpired` listeners; returns their ids. */
  sweep(limit?: number): Promise<string[]>;
  /** How many connections this server holds. */
  localConnections(): number;
  /**
   * Stop the heartbeat and sweeper. Connections stay registered and expire after `ttlMs` (this is
   * also what a crash looks like). Does not quit the Redis client.
   */
  close(): Promise<void>;
}

const BATCH = 200;

/** Run a Lua script by SHA, loading it on the first NOSCRIPT (also after a Redis restart). */
function script(redis: RedisClient, source: string) {
  const sha = createHash('sha1').update(source).digest('hex');
  return async (keys: string[], args: (string | number)[]): Promise<unknown> => {
    try {
      return await redis.evalsha(sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return redis.eval(source, keys.length, ...keys, ...args);
    }
  };
}

/**
 * Presence across servers, in Redis. Each user has a sorted set `<prefix>presence:<userId>` of
 * `<nodeId>:<connectionId>` scored by expiry; each server refreshes its own connections on a heartbeat,
 * so the connections of a server that died expire after `ttlMs`. On a Redis Cluster the keys carry a
 * hash tag per user group (`<prefix>presence:{g<n>}:…`, see `shards`) so each script stays in one slot. `connect`, `disconnect` and the
 * sweeper are single Lua scripts, so `nowOnline` / `nowOffline` are exact under any interleaving:
 * `disconnect` says `nowOffline` only for the user's last live connection anywhere.
 *
 * ```ts
 * const presence = createRedisPresence({ redis, nodeId: 'node-1', ttlMs: 30_000 });
 * const chat = createChat({ store, pubsub, presence });
 * presence.onExpired(announceExpired(chat));
 * ```
 */
export function createRedisPresence(options: RedisPresenceOptions): RedisPresence {
  const { redis } = options;
  const nodeId = options.nodeId ?? randomUUID();
  const ttlMs = options.ttlMs ?? 30_000;
  if (!(ttlMs >= 100)) throw new Error('createRedisPresence: ttlMs must be at least 100');
  const heartbeatMs = options.heartbeatMs ?? Math.max(50, Math.floor(ttlMs / 3));
  const sweepMs = options.sweepMs ?? ttlMs;
  const prefix = options.prefix ?? 'parley:';
  const onError = options.onError ?? (() => {});
  const shards = isCluster(redis) ? (options.shards ?? 32) : 1;
  if (!Number.isInteger(shards) || shards < 1) throw new Error('createRedisPresence: shards must be a positive integer');
  const shardOf = (userId: string) => (shards === 1 ? 0 : createHash('md5').update(userId).digest().readUInt32BE(0) % shards);
  const userKey = isCluster(redis)
    ? (userId: string) => `${prefix}presence:{g${shardOf(userId)}}:u:${userId}`
    : (userId: string) => `${prefix}presence:${userId}`;
  const indexKeyOf = isCluster(redis) ? (shard: number) => `${prefix}presence:{g${shard}}:users` : () => `${prefix}presence:users`;
  const indexKey = (userId: string) => indexKeyOf(shardOf(userId));
  /** Group items by user group, so one script call touches one slot. */
  const byShard = <T>(items: T[], userOf: (item: T) => string): T[][] => {
    if (shards === 1) return items.length > 0 ? [items] : [];
    const groups = new Map<number, T[]>();
    for (const item of items) {
      const k = shardOf(userOf(item));
      let g = groups.get(k);
      if (!g) groups.set(k, (g = []));
      g.push(item);
    }
    return [...groups.values()];
  };
  const member = (connectionId: string) => `${nodeId}:${connectionId}`;

  const run = {
    connect: script(redis, CONNECT),
    disconnect: script(redis, DISCONNECT),
    heartbeat: script(redis, HEARTBEAT),
    online: script(redis, ONLINE),
    sweep: script(redis, SWEEP),
  };
  /** This server's connections: userId → connection ids. */
  const local = new Map<string, Set<string>>();
  const listeners = new Set<ExpiredListener>();
  let closed = false;

  const heartbeat = async () => {
    const all: [string, string][] = [];
    for (const [userId, set] of local) for (const c of set) all.push([userId, c]);
    for (const pairs of byShard(all, ([u]) => u)) await heartbeatGroup(pairs);
  };
  const heartbeatGroup = async (pairs: [string, string][]) => {
    const indexOfGroup = indexKey(pairs[0]![0]);
    for (let i = 0; i < pairs.length; i += BATCH) {
      const batch = pairs.slice(i, i + BATCH);
      const keys = [...batch.map(([u]) => userKey(u)), indexOfGroup];
      const args = batch.flatMap(([u, c]) => [u, member(c)]);
      const missing = (await run.heartbeat(keys, [ttlMs, ...args])) as number[];
      // An entry can be missing after a Redis restart or a stall longer than ttlMs: put back the ones
      // this server still holds.
      for (const index of missing) {
        const pair = batch[index - 1];
        if (!pair || !local.get(pair[0])?.has(pair[1])) continue;
        await run.connect([userKey(pair[0]), indexOfGroup], [member(pair[1]), ttlMs, pair[0]]);
      }
    }
  };

  const sweep = async (limit = 100) => {
    const [seconds = 0, micros = 0] = (await redis.time()).map(Number);
    const now = seconds * 1000 + Math.floor(micros / 1000);
    const candidates: string[] = [];
    for (let k = 0; k < shards && candidates.length < limit; k++) {
      candidates.push(...(await redis.zrangebyscore(indexKeyOf(k), '-inf', now, 'LIMIT', 0, limit - candidates.length)));
    }
    const claimed: string[] = [];
    for (const userId of candidates) {
      const last = Number(await run.sweep([userKey(userId), indexKey(userId)], [userId]));
      if (last < 0) continue;
      claimed.push(userId);
      for (const listener of [...listeners]) {
        try {
          await listener(userId, last - ttlMs);
        } catch (error) {
          onError(error);
        }
      }
    }
    return claimed;
  };

  const every = (ms: number, job: () => Promise<unknown>) => {
    let busy = false;
    const timer = setInterval(() => {
      if (busy || closed) return;
      busy = true;
      job()
        .catch(onError)
        .finally(() => (busy = false));
    }, ms);
    timer.unref();
    return timer;
  };
  const timers = [every(heartbeatMs, heartbeat)];
  if (sweepMs > 0) timers.push(every(sweepMs, () => sweep()));

  return {
    nodeId,
    async connect({ userId, connectionId }) {
      let set = local.get(userId);
      if (!set) local.set(userId, (set = new Set()));
      set.add(connectionId);
      const before = Number(await run.connect([userKey(userId), indexKey(userId)], [member(connectionId), ttlMs, userId]));
      return { nowOnline: before === 0, connections: before + 1 };
    },
    async disconnect({ userId, connectionId }) {
      const set = local.get(userId);
      set?.delete(connectionId);
      if (set && set.size === 0) local.delete(userId);
      const last = Number(await run.disconnect([userKey(userId), indexKey(userId)], [member(connectionId), userId]));
      return { nowOffline: last === 1 };
    },
    async online(userIds) {
      const out = new Set<string>();
      for (const group of byShard([...new Set(userIds)], (id) => id)) {
        for (let i = 0; i < group.length; i += BATCH * 5) {
          const batch = group.slice(i, i + BATCH * 5);
          const counts = (await run.online(batch.map(userKey), [])) as number[];
          batch.forEach((id, j) => {
            if ((counts[j] ?? 0) > 0) out.add(id);
          });
        }
      }
      return out;
    },
    onExpired(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    heartbeat,
    sweep,
    localConnections() {
      let n = 0;
      for (const set of local.values()) n += set.size;
      return n;
    },
    async close() {
      closed = true;
      for (const t of timers) clearInterval(t);
      listeners.clear();
    },
  };
}
