/**
 * A server child process: `parley` (createWsServer over createChat with the in-memory store or the
 * Postgres store), `ws` (a raw `ws` server that broadcasts what the sender sends), `socketio`
 * (Socket.IO 4 room broadcast) or `homegrown` (Socket.IO 4 + `pg` on seed 000's schema, see
 * homegrown-server.ts). argv: kind, fan-out members, pairs, store (`memory`, `postgres` = the
 * server at `PARLEY_PG_URL`, or `pglite`), and optionally {@link ServerOptions} as JSON.
 * Answers `memory` and `cpu` (its own `process.cpuUsage()`) requests over IPC.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type WebSocket from 'ws';
import { Server as SocketIOServer } from 'socket.io';
import type { RealtimeStore, ServerCpu, ServerKind, ServerMemory, ServerOptions, ServerReady } from './messages.js';
import { homegrownServer } from './homegrown-server.js';
import { sqlRoundTrips } from './round-trips.js';
import { openStore } from './store.js';
import type { OpenedStore } from './store.js';

const [kind, membersArg, pairsArg, storeArg, optionsArg] = process.argv.slice(2) as [ServerKind, string, string, RealtimeStore | undefined, string | undefined];
const members = Number(membersArg);
const pairs = Number(pairsArg);
const options = JSON.parse(optionsArg ?? '{}') as ServerOptions;
let opened: OpenedStore | undefined;
/** Extra things to close on exit (the Redis bus, the home-grown server's pool). */
const closers: Array<() => Promise<unknown>> = [];

/** Fan-out over Redis for cluster nodes (`options.redisPrefix`). */
async function redisBus() {
  if (options.redisPrefix === undefined) return undefined;
  const { createRedisPubSub } = await import('@parley/pubsub-redis');
  const { Redis } = await import('ioredis');
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
  redis.on('error', () => undefined);
  const pubsub = createRedisPubSub({ redis, subscriber: () => redis.duplicate(), prefix: options.redisPrefix });
  closers.push(async () => {
    await pubsub.close();
    redis.disconnect();
  });
  return pubsub;
}

/**
 * Limits for the end-to-end loops: a load generator's user sends far faster than a person types, so
 * the per-user rate limits are lifted; every other limit (per-connection in-flight requests and
 * whatever admission control the server has) stays at its default.
 */
const LOAD_LIMITS = { maxConnectionsPerUser: 100_000, ratePerSecond: 1_000_000, rateBurst: 1_000_000, floodCloseAfter: 1_000_000 };

/** Users of the Parley setup: fan-out members `m<i>`, pair users `a<i>`/`b<i>`, idle users are created on demand. */
async function parleyServer(server: http.Server): Promise<Omit<ServerReady, 'type' | 'port'>> {
  const { createChat } = await import('@parley/core');
  const { createWsServer } = await import('@parley/transport-ws');
  opened = await openStore(storeArg ?? 'memory', options);
  const pubsub = await redisBus();
  const chat = createChat({ store: opened.store, ...(pubsub ? { pubsub } : {}) });
  const user = (id: string) => chat.upsertUser({ id, displayName: id });
  if (options.owner === false) {
    // A second cluster node: the owner created the users and conversations.
    createWsServer({ chat, server, path: '/parley', origins: '*', authenticate: ({ token }) => token ?? null, limits: LOAD_LIMITS });
    return { channelId: '', pairIds: [] };
  }
  await user('sender');
  const channel = (await chat.as('sender').call('createChannel', { title: 'busy' })) as { id: string };
  for (let i = 0; i < members; i++) {
    await user(`m${i}`);
    await chat.as(`m${i}`).call('join', { conversationId: channel.id });
  }
  const pairIds: string[] = [];
  for (let i = 0; i < pairs; i++) {
    await user(`a${i}`);
    await user(`b${i}`);
    pairIds.push(((await chat.as(`a${i}`).call('openDirect', { userId: `b${i}` })) as { id: string }).id);
  }
  const known = new Set<string>();
  createWsServer({
    chat,
    server,
    path: '/parley',
    origins: '*',
    authenticate: async ({ token }) => {
      if (token === undefined) return null;
      if (token.startsWith('idle') && !known.has(token)) {
        known.add(token);
        await user(token);
      }
      return token;
    },
    limits: options.load ? LOAD_LIMITS : { maxConnectionsPerUser: 100_000, ratePerSecond: 1_000_000, rateBurst: 1_000_000, floodCloseAfter: 1_000_000, maxInFlight: 10_000 },
  });
  return { channelId: channel.id, pairIds };
}

/** Raw `ws`: sockets on `/fan` form the channel; whatever arrives on `/sender` is sent to all of them. */
function wsServer(server: http.Server): Omit<ServerReady, 'type' | 'port'> {
  const wss = new WebSocketServer({ server });
  const fan = new Set<WebSocket>();
  wss.on('connection', (socket, request) => {
    if (request.url === '/fan') {
      fan.add(socket);
      socket.on('close', () => fan.delete(socket));
    }
    if (request.url === '/sender') socket.on('message', (data) => {
      const text = data.toString();
      for (const s of fan) s.send(text);
    });
  });
  return { channelId: 'fan', pairIds: [] };
}

/** Socket.IO 4 (websocket transport): fan members join room `fan`; the sender's `msg` goes to the room. */
function socketIoServer(server: http.Server): Omit<ServerReady, 'type' | 'port'> {
  const io = new SocketIOServer(server, { transports: ['websocket'], serveClient: false });
  io.on('connection', (socket) => {
    if (socket.handshake.auth?.role === 'fan') void socket.join('fan');
    socket.on('msg', (text: string) => io.to('fan').emit('msg', text));
  });
  return { channelId: 'fan', pairIds: [] };
}

async function memory(): Promise<ServerMemory> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((r) => setTimeout(r, 100));
  }
  const m = process.memoryUsage();
  return { type: 'memory', rss: m.rss, heap: m.heapUsed + m.external + m.arrayBuffers };
}

const server = http.createServer();
async function homegrown(): Promise<Omit<ServerReady, 'type' | 'port'>> {
  const hg = await homegrownServer(server, pairs);
  closers.push(hg.close);
  return { channelId: '', pairIds: hg.pairIds };
}

const setup =
  kind === 'parley' ? await parleyServer(server) : kind === 'homegrown' ? await homegrown() : kind === 'ws' ? wsServer(server) : socketIoServer(server);
server.listen(0, '127.0.0.1', () => {
  const ready: ServerReady = { type: 'ready', port: (server.address() as AddressInfo).port, ...setup };
  process.send!(ready);
});
/** Exit after dropping what the store created (the Postgres schema), bounded in time. */
function exit(): void {
  const timer = setTimeout(() => process.exit(0), 10_000);
  void Promise.allSettled(closers.map((c) => c()))
    .then(() => opened?.close())
    .finally(() => {
      clearTimeout(timer);
      process.exit(0);
    });
}

process.on('message', (msg: { type: string }) => {
  if (msg.type === 'memory') void memory().then((m) => process.send!(m));
  if (msg.type === 'cpu') {
    const c = process.cpuUsage();
    const cpu: ServerCpu = { type: 'cpu', user: c.user, system: c.system, sqlRoundTrips: sqlRoundTrips.count };
    process.send!(cpu);
  }
  if (msg.type === 'exit') exit();
});
process.on('disconnect', exit);
