import { createChat, createMemoryStore, type Chat } from '@parley/core';
import { CLOSE_CODES, SUBPROTOCOL } from '@parley/protocol';
import { createWsServer, type WsServer } from '@parley/transport-ws';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createRedisPresence, createRedisPubSub, createRedisRateLimiter, type RedisPresence, type RedisPubSub } from '../src/index.js';
import { client, probeRedis, uniquePrefix } from './redis-env.js';

const available = await probeRedis('@parley/pubsub-redis shared limits across ws servers');

interface Reply {
  id: number | string | null;
  ok: boolean;
  error?: { code: string; retryAfterMs?: number };
}

/** A minimal parley.v1 client: authenticates in the first frame, waits for `ready`. */
async function connect(url: string, userId: string) {
  const socket = new WebSocket(url, [SUBPROTOCOL]);
  const replies = new Map<number | string, (r: Reply) => void>();
  const frames: Reply[] = [];
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  let ready: () => void = () => {};
  const readyP = new Promise<void>((resolve) => (ready = resolve));
  socket.on('message', (data) => {
    const frame = JSON.parse(data.toString()) as Reply & { ev?: string };
    if (frame.ev === 'ready') ready();
    if (frame.ev !== undefined) return;
    frames.push(frame);
    if (frame.id !== null) replies.get(frame.id)?.(frame);
  });
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  socket.send(JSON.stringify({ id: 'auth', op: 'auth', params: { token: userId } }));
  let next = 1;
  return {
    socket,
    closed,
    frames,
    ready: Promise.race([readyP.then(() => 'ready' as const), closed.then(() => 'closed' as const)]),
    request(op: string, params: unknown = {}): Promise<Reply> {
      const id = next++;
      const p = new Promise<Reply>((resolve) => replies.set(id, resolve));
      socket.send(JSON.stringify({ id, op, params }));
      return p;
    },
  };
}

describe.skipIf(!available)('limits shared by two ws servers on one Redis', () => {
  const admin: Redis | null = available ? client() : null;
  const opened: { ws: WsServer; chat: Chat; pubsub: RedisPubSub; presence: RedisPresence; redis: Redis }[] = [];
  const sockets: WebSocket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.terminate();
    for (const n of opened.splice(0)) {
      await n.ws.close();
      await n.chat.close();
      await n.presence.close();
      await n.pubsub.close();
      n.redis.disconnect();
    }
  });
  afterAll(() => admin?.disconnect());

  /** Two nodes: each its own engine, bus, presence and ws server; one store, one Redis key space. */
  const twoNodes = async (limits: Parameters<typeof createWsServer>[0]['limits']) => {
    const prefix = uniquePrefix();
    const store = createMemoryStore();
    const urls: string[] = [];
    for (const nodeId of ['node-a', 'node-b']) {
      const redis = client();
      const pubsub = createRedisPubSub({ redis: client(), prefix });
      const presence = createRedisPresence({ redis, nodeId, prefix, sweepMs: 0 });
      const chat = createChat({ store, pubsub, presence });
      const ws = await createWsServer({
        chat,
        port: 0,
        origins: '*',
        limits,
        rateLimiter: createRedisRateLimiter({ redis, prefix }),
        authenticate: ({ token }) => token ?? null,
      });
      opened.push({ ws, chat, pubsub, presence, redis });
      urls.push(`ws://127.0.0.1:${ws.address()!.port}/`);
    }
    await opened[0]!.chat.upsertUser({ id: 'ana', displayName: 'Ana' });
    await opened[0]!.chat.upsertUser({ id: 'ben', displayName: 'Ben' });
    const open = async (node: 0 | 1, userId: string) => {
      const c = await connect(urls[node]!.replace(/\/$/, '/parley'), userId);
      sockets.push(c.socket);
      return c;
    };
    return { open };
  };

  it('maxConnectionsPerUser counts a user’s connections on every node: over the cap across the two is refused', async () => {
    const { open } = await twoNodes({ maxConnectionsPerUser: 2 });
    const first = await open(0, 'ana');
    expect(await first.ready).toBe('ready');
    const second = await open(1, 'ana');
    expect(await second.ready).toBe('ready');
    // node A holds one of ana's connections: per node it would be her second, across nodes her third
    const third = await open(0, 'ana');
    expect(await third.ready).toBe('closed');
    expect(await third.closed).toBe(CLOSE_CODES.TOO_MANY_CONNECTIONS);
    expect(third.frames).toContainEqual(expect.objectContaining({ ok: false, error: expect.objectContaining({ code: 'FORBIDDEN' }) }));
    // the refused one took no slot: after one closes, a new one gets in (on either node)
    const ben = await open(1, 'ben');
    expect(await ben.ready).toBe('ready');
    second.socket.close();
    await second.closed;
    await new Promise((r) => setTimeout(r, 100)); // the server side unregisters after the close
    const again = await open(0, 'ana');
    expect(await again.ready).toBe('ready');
  });

  it('a user flooding from two connections on two nodes is limited as one', async () => {
    const { open } = await twoNodes({ ratePerSecond: 1000, rateBurst: 1000, userRatePerSecond: 1, userRateBurst: 6 });
    const onA = await open(0, 'ana');
    const onB = await open(1, 'ana');
    expect([await onA.ready, await onB.ready]).toEqual(['ready', 'ready']);
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? onA : onB).request('me')));
    expect(replies.filter((r) => r.ok)).toHaveLength(6);
    for (const r of replies.filter((x) => !x.ok)) expect(r.error).toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: expect.any(Number) });
    // another user has their own allowance
    const ben = await open(1, 'ben');
    expect(await ben.ready).toBe('ready');
    expect((await ben.request('me')).ok).toBe(true);
  });

  it('engine quotas (conversations created per window) hold across two engines sharing the Redis limiter', async () => {
    const prefix = uniquePrefix();
    const store = createMemoryStore();
    const redis = client();
    try {
      const quotas = { conversationsCreated: { limit: 3, windowMs: 60_000 } };
      const [a, b] = [0, 1].map(() => createChat({ store, rateLimiter: createRedisRateLimiter({ redis, prefix }), limits: { quotas } }));
      await a!.upsertUser({ id: 'ana', displayName: 'Ana' });
      await a!.upsertUser({ id: 'ben', displayName: 'Ben' });
      const outcomes: string[] = [];
      for (const chat of [a!, b!, a!, b!]) {
        outcomes.push(await chat.as('ana').createGroup({ title: 'g', memberIds: ['ben'] }).then(() => 'ok', (e: { code?: string }) => e.code ?? 'error'));
      }
      expect(outcomes).toEqual(['ok', 'ok', 'ok', 'RATE_LIMITED']);
      await Promise.all([a!.close(), b!.close()]);
    } finally {
      redis.disconnect();
    }
  });
});
