import { createHash } from 'node:crypto';
import { createChat, createMemoryStore, topics, type BusMessage } from '@parley/core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { announceExpired, createRedisPresence, createRedisPubSub, type RedisClient, type RedisPresence } from '../src/index.js';
import { uniquePrefix, until } from './redis-env.js';

/** Where the presence cases run: a single Redis or a cluster. */
export interface PresenceTarget {
  name: string;
  /** The shared client the registries use (not closed by the cases). */
  redis: () => RedisClient;
  /** A new client for a bus (closed by the cases). */
  client: () => RedisClient;
  cluster: boolean;
}

/** The key of a user's connection set, as the registry lays it out (for tests that delete it). */
function userKey(target: PresenceTarget, prefix: string, userId: string): string {
  if (!target.cluster) return `${prefix}presence:${userId}`;
  const shard = createHash('md5').update(userId).digest().readUInt32BE(0) % 32;
  return `${prefix}presence:{g${shard}}:u:${userId}`;
}

/** The presence registry cases, on one target. */
export function presenceCases(target: PresenceTarget): void {
describe(`createRedisPresence: ${target.name}`, () => {
  const redis = (): RedisClient => target.redis();
  const open: RedisPresence[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((p) => p.close()));
  });
  const prefixes: string[] = [];
  afterAll(async () => {
    if (target.cluster) return; // the cluster is removed whole
    for (const prefix of prefixes) {
      const keys = await redis().keys(`${prefix}*`);
      if (keys.length > 0) await redis().del(...keys);
    }
  });
  /** Two "nodes" sharing one Redis key space. */
  const nodes = (ttlMs = 30_000, sweepMs = 0) => {
    const prefix = uniquePrefix();
    prefixes.push(prefix);
    const make = (nodeId: string) => {
      const p = createRedisPresence({ redis: redis(), nodeId, ttlMs, sweepMs, prefix });
      open.push(p);
      return p;
    };
    return { a: make('node-a'), b: make('node-b'), prefix };
  };

  it('a user is online while any node holds a connection; offline exactly when the last one anywhere closes', async () => {
    const { a, b } = nodes();
    expect(await a.connect({ userId: 'ana', connectionId: 'c1' })).toEqual({ nowOnline: true, connections: 1 });
    expect(await b.connect({ userId: 'ana', connectionId: 'c2' })).toEqual({ nowOnline: false, connections: 2 });
    expect(await a.connect({ userId: 'ana', connectionId: 'c1' })).toEqual({ nowOnline: false, connections: 2 }); // idempotent
    expect([...(await b.online(['ana', 'ben']))]).toEqual(['ana']);
    expect(await b.disconnect({ userId: 'ana', connectionId: 'c2' })).toEqual({ nowOffline: false });
    expect(await b.disconnect({ userId: 'ana', connectionId: 'c2' })).toEqual({ nowOffline: false }); // idempotent
    expect(await b.disconnect({ userId: 'ana', connectionId: 'c1' })).toEqual({ nowOffline: false }); // not b's connection
    expect([...(await b.online(['ana']))]).toEqual(['ana']);
    expect(await a.disconnect({ userId: 'ana', connectionId: 'c1' })).toEqual({ nowOffline: true });
    expect(await a.disconnect({ userId: 'ana', connectionId: 'c1' })).toEqual({ nowOffline: false });
    expect((await a.online(['ana'])).size).toBe(0);
  });

  it('same connection id on two nodes are two connections', async () => {
    const { a, b } = nodes();
    await a.connect({ userId: 'ana', connectionId: 'x' });
    expect(await b.connect({ userId: 'ana', connectionId: 'x' })).toEqual({ nowOnline: false, connections: 2 });
    expect(await a.disconnect({ userId: 'ana', connectionId: 'x' })).toEqual({ nowOffline: false });
    expect(await b.disconnect({ userId: 'ana', connectionId: 'x' })).toEqual({ nowOffline: true });
  });

  it('exactly one nowOnline and one nowOffline under concurrent connects/disconnects across nodes', async () => {
    const { a, b } = nodes();
    for (let round = 0; round < 5; round++) {
      const ups = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).connect({ userId: 'u', connectionId: `r${round}-${i}` })));
      expect(ups.filter((r) => r.nowOnline)).toHaveLength(1);
      // the count is read atomically with the registration: the k-th connect anywhere sees k
      expect(ups.map((r) => r.connections).sort((x, y) => x! - y!)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      const downs = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).disconnect({ userId: 'u', connectionId: `r${round}-${i}` })));
      expect(downs.filter((r) => r.nowOffline)).toHaveLength(1);
    }
  });

  it('online() is batched over many users', async () => {
    const { a, b } = nodes();
    const ids = Array.from({ length: 2500 }, (_, i) => `user-${i}`);
    await Promise.all(ids.filter((_, i) => i % 3 === 0).map((id) => a.connect({ userId: id, connectionId: 'c' })));
    const online = await b.online([...ids, 'user-0']);
    expect(online.size).toBe(Math.ceil(2500 / 3));
    expect(online.has('user-3')).toBe(true);
    expect(online.has('user-4')).toBe(false);
  });

  it('a crashed node’s connections expire; heartbeats keep a live node’s alive; one node announces the expiry', async () => {
    const { a, b } = nodes(1000);
    await a.connect({ userId: 'ana', connectionId: 'c1' }); // only on the node that will crash
    await a.connect({ userId: 'ben', connectionId: 'c2' });
    await b.connect({ userId: 'ben', connectionId: 'c3' }); // ben also on the live node
    const expiredOnB: string[] = [];
    b.onExpired((userId, lastSeenAt) => {
      expiredOnB.push(userId);
      expect(lastSeenAt).toBeGreaterThan(Date.now() - 5000);
    });
    await a.close(); // simulated crash: heartbeats stop, nothing is unregistered
    expect((await b.online(['ana', 'ben'])).size).toBe(2);
    await new Promise((r) => setTimeout(r, 1500)); // > ttl; b heartbeats every ~333 ms
    expect([...(await b.online(['ana', 'ben']))]).toEqual(['ben']);
    const [first, second] = await Promise.all([b.sweep(), b.sweep()]);
    expect([...first!, ...second!]).toEqual(['ana']); // claimed exactly once
    expect(expiredOnB).toEqual(['ana']);
    expect(await b.sweep()).toEqual([]);
    // ben's dead connection is gone: his last live one going away is the last one anywhere
    expect(await b.disconnect({ userId: 'ben', connectionId: 'c3' })).toEqual({ nowOffline: true });
    // and a user coming back after expiry is online again
    expect(await b.connect({ userId: 'ana', connectionId: 'c9' })).toEqual({ nowOnline: true, connections: 1 });
  });

  it('announceExpired stores lastSeenAt and publishes the offline presence (sweeper on a timer)', async () => {
    const prefix = uniquePrefix();
    prefixes.push(prefix);
    const pubsub = createRedisPubSub({ redis: target.client(), prefix });
    const store = createMemoryStore();
    const chat = createChat({ store, pubsub });
    await chat.upsertUser({ id: 'ana', displayName: 'Ana' });
    const crashed = createRedisPresence({ redis: redis(), nodeId: 'dead', ttlMs: 300, sweepMs: 0, prefix });
    const live = createRedisPresence({ redis: redis(), nodeId: 'live', ttlMs: 300, sweepMs: 100, prefix });
    open.push(crashed, live);
    live.onExpired(announceExpired(chat));
    const seen: BusMessage[] = [];
    await pubsub.subscribe(topics.presence('ana'), (m) => seen.push(m));
    await crashed.connect({ userId: 'ana', connectionId: 'c1' });
    await crashed.close();
    await until(() => seen.length === 1, 5000, 'offline announcement');
    const [m] = seen;
    expect(m?.t === 'presence' && m.presence.online).toBe(false);
    const [user] = await store.getUsers(['ana']);
    expect(user?.lastSeenAt).toBeTypeOf('number');
    await chat.close();
    await pubsub.close();
  });

  it('heartbeat puts back this node’s entries after Redis lost them', async () => {
    const { a, prefix } = nodes(30_000);
    await a.connect({ userId: 'ana', connectionId: 'c1' });
    await redis().del(userKey(target, prefix, 'ana'));
    expect((await a.online(['ana'])).size).toBe(0);
    await a.heartbeat();
    expect((await a.online(['ana'])).size).toBe(1);
    expect(a.localConnections()).toBe(1);
  });
});
}
