import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createChat, createMemoryStore, type Chat } from '@parley/core';
import { createClient, type ClientOptions } from '@parley/client';
import { createOfflineCache, memoryCacheStorage, type OfflineStorage } from '@parley/client/offline';
import { createWsServer, type WsServer } from '@parley/transport-ws';
import { WebSocket } from 'ws';
import type { SectionResult } from '../report/model.js';
import { section, target } from '../report/model.js';
import { median, round } from '../stats.js';
import { w1 } from '../workload.js';

/** What the offline-cache section measures. */
export interface OfflinePlan {
  /** A/B repetitions per figure (alternated, medians reported). */
  repetitions: number;
  /** Conversations of the "heavy inbox" user, and messages in each. */
  heavy: { conversations: number; messages: number };
}

const DAY = 24 * 3600 * 1000;
/** Messages per conversation of the window the client holds (its default). */
const WINDOW = 200;

/**
 * One user's share of W1 (issue 3): 2 × directs / users direct conversations, groups × groupSize /
 * users groups, and the busy channel, with W1's average history per conversation (capped at two
 * windows: the client never holds more than one).
 */
function w1User() {
  const w = w1(1);
  const directs = Math.round((2 * w.directs) / w.users);
  const groups = Math.round((w.groups * w.groupSize) / w.users);
  const perDirect = Math.round(w.directMessages / w.directs);
  const perGroup = Math.round(w.groupMessages / w.groups);
  return [
    ...Array.from({ length: directs }, () => Math.min(2 * WINDOW, perDirect)),
    ...Array.from({ length: groups }, () => Math.min(2 * WINDOW, perGroup)),
    Math.min(2 * WINDOW, w.busyMessages),
  ];
}

/** A Parley server (memory store, real ws socket) whose clock can move forward. */
class BenchServer {
  offset = 0;
  readonly chat: Chat = createChat({
    store: createMemoryStore(),
    clock: { now: () => Date.now() + this.offset },
    limits: { quotas: { conversationsCreated: null, membersAdded: null } },
  });
  #http: Server | null = null;
  #ws: WsServer | null = null;
  url = '';

  async start(): Promise<void> {
    const http = createServer();
    this.#ws = await createWsServer({
      chat: this.chat,
      server: http,
      path: '/parley',
      origins: '*',
      authenticate: ({ token }) => token ?? null,
      limits: { ratePerSecond: 100_000, rateBurst: 100_000, userRatePerSecond: 100_000, userRateBurst: 100_000 },
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
    this.url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}/parley`;
    this.#http = http;
  }

  async stop(): Promise<void> {
    await this.#ws?.close();
    await new Promise<void>((r) => (this.#http ? this.#http.close(() => r()) : r()));
  }
}

/** Bytes and requests one client moved over its socket. */
interface Traffic {
  received: number;
  sent: number;
  requests: number;
}

function countingWebSocket(t: Traffic): ClientOptions['WebSocket'] {
  class Counting extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      this.on('message', (data: Buffer) => (t.received += data.length));
    }
    override send(data: string): void {
      t.sent += Buffer.byteLength(data);
      t.requests++;
      super.send(data);
    }
  }
  return Counting as unknown as ClientOptions['WebSocket'];
}

/** `reader`'s conversations, with `sizes[i]` messages from the other member in the i-th. */
async function seed(chat: Chat, reader: string, sizes: number[]): Promise<string[]> {
  await chat.upsertUser({ id: reader, displayName: reader });
  await chat.upsertUser({ id: 'peer', displayName: 'peer' });
  const peer = chat.as('peer', { unlimited: true });
  const ids: string[] = [];
  for (const [i, n] of sizes.entries()) {
    const c = await peer.createGroup({ title: `c${i}`, memberIds: [reader] });
    for (let j = 0; j < n; j++) await peer.send({ conversationId: c.id, clientId: `${reader}-${i}-${j}`, text: `message ${j} of conversation ${i}, about as long as a chat line` });
    ids.push(c.id);
  }
  return ids;
}

const until = async (check: () => boolean | Promise<boolean>, timeoutMs = 30_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('offline bench: the client did not converge in time');
    await new Promise((r) => setTimeout(r, 2));
  }
};

/** Time from `createClient` to the first inbox snapshot with every row (ms). */
async function firstInbox(server: BenchServer, user: string, rows: number, storage: OfflineStorage | null): Promise<number> {
  const started = performance.now();
  const client = createClient({
    url: server.url,
    token: user,
    WebSocket: WebSocket as unknown as ClientOptions['WebSocket'],
    window: null,
    userId: user,
    autoDeliver: false,
    ...(storage ? { cache: createOfflineCache({ storage }) } : {}),
  });
  const ms = await new Promise<number>((resolve) => {
    const check = () => {
      if (client.inbox.getSnapshot().items.length >= rows) {
        stop();
        resolve(performance.now() - started);
      }
    };
    const stop = client.inbox.subscribe(check);
    check();
  });
  await client.ready();
  client.close();
  return ms;
}

/**
 * One session of `user` that opens every conversation, waits until it holds the server's newest
 * messages and closes. Returns the traffic up to that point (pushes racing the close are not counted).
 */
async function session(server: BenchServer, user: string, ids: string[], storage: OfflineStorage | null): Promise<Traffic> {
  const traffic: Traffic = { received: 0, sent: 0, requests: 0 };
  const client = createClient({
    url: server.url,
    token: user,
    WebSocket: countingWebSocket(traffic),
    window: null,
    userId: user,
    autoDeliver: false,
    ...(storage ? { cache: createOfflineCache({ storage }), cacheDelayMs: 10 } : {}),
  });
  await client.ready();
  await Promise.all(ids.map((id) => client.open(id)));
  const want = await Promise.all(ids.map(async (id) => (await server.chat.as(user).getConversation({ conversationId: id })).conversation.lastSeq));
  await until(() => ids.every((id, i) => client.messages(id).getSnapshot().messages.at(-1)?.seq === want[i] && client.inbox.getSnapshot().byId[id]?.conversation.lastSeq === want[i]));
  const counted = { ...traffic };
  await client.flushCache();
  client.close();
  return counted;
}

/** A day: the peer writes a tenth of each conversation's window (at least one message) in every conversation. */
async function aDay(server: BenchServer, ids: string[], sizes: number[], day: number): Promise<void> {
  server.offset += DAY;
  const peer = server.chat.as('peer', { unlimited: true });
  for (const [i, id] of ids.entries()) {
    const n = Math.max(1, Math.round(Math.min(WINDOW, sizes[i]!) / 10));
    for (let j = 0; j < n; j++) await peer.send({ conversationId: id, clientId: `day${day}-${i}-${j}`, text: `news ${j} of day ${day}` });
  }
}

interface Case {
  name: string;
  sizes: number[];
}

/**
 * Offline cache section: the time to the first full inbox render from the cache vs from the
 * network, and the bytes a resume after a day offline moves with and without the cache. One
 * in-process server on a real socket; A/B repetitions alternated; medians.
 */
export async function offlineSection(plan: OfflinePlan, log: (line: string) => void): Promise<SectionResult> {
  const started = Date.now();
  const out = section('offline', 'Client offline cache');
  const cases: Case[] = [
    { name: 'W1 user', sizes: w1User() },
    { name: `heavy inbox (${plan.heavy.conversations} conversations)`, sizes: Array.from({ length: plan.heavy.conversations }, () => plan.heavy.messages) },
  ];
  const renderRows: Array<Array<string | number>> = [];
  const bytesRows: Array<Array<string | number>> = [];
  for (const [k, c] of cases.entries()) {
    log(`  offline cache: ${c.name}…`);
    const server = new BenchServer();
    await server.start();
    try {
      const user = `u${k}`;
      const ids = await seed(server.chat, user, c.sizes);
      // a first session fills a cache the way an app would
      const storage = memoryCacheStorage();
      await session(server, user, ids, storage);

      const fromNetwork: number[] = [];
      const fromCache: number[] = [];
      for (let r = 0; r < plan.repetitions; r++) {
        fromNetwork.push(await firstInbox(server, user, ids.length, null));
        fromCache.push(await firstInbox(server, user, ids.length, storage));
      }
      const net = median(fromNetwork);
      const cached = median(fromCache);
      renderRows.push([c.name, ids.length, round(net), round(cached), round(net / cached)]);

      // a day offline, then back: the same day's news, resumed with and without the cache
      const without: Traffic[] = [];
      const withCache: Traffic[] = [];
      for (let r = 0; r < plan.repetitions; r++) {
        await aDay(server, ids, c.sizes, r);
        without.push(await session(server, user, ids, null));
        // the cache was saved at the end of the previous day: it is one day behind
        withCache.push(await session(server, user, ids, storage));
      }
      const bytes = (list: Traffic[]) => median(list.map((t) => t.received + t.sent));
      const reqs = (list: Traffic[]) => median(list.map((t) => t.requests));
      bytesRows.push([c.name, bytes(without), bytes(withCache), round(bytes(without) / bytes(withCache)), reqs(without), reqs(withCache)]);
      if (k === 0) {
        out.targets.push(
          target({
            id: 'offline.render',
            what: 'first full inbox render, from the network / from the cache (W1 user)',
            ratio: net / cached,
            goal: 1,
            goalText: 'faster from the cache (>= 1x)',
            detail: `network ${round(net)} ms, cache ${round(cached)} ms (medians of ${plan.repetitions})`,
          }),
          target({
            id: 'offline.resume-bytes',
            what: 'bytes of a resume after a day offline, without / with the cache (W1 user)',
            ratio: bytes(without) / bytes(withCache),
            goal: 1,
            goalText: 'fewer with the cache (>= 1x)',
            detail: `without ${bytes(without)} B, with ${bytes(withCache)} B`,
          }),
        );
      }
    } finally {
      await server.stop();
    }
  }
  out.tables.push(
    { title: 'Time to the first full inbox render (ms, median): createClient → every row shown', head: ['user', 'conversations', 'network', 'cache', 'ratio'], rows: renderRows },
    {
      title: 'Resume after a day offline: bytes over the socket (sent + received, median) and requests; every conversation opened until it holds the newest message',
      head: ['user', 'bytes without cache', 'bytes with cache', 'ratio', 'requests without', 'requests with'],
      rows: bytesRows,
    },
  );
  out.notes.push(
    'The cache here is the in-memory storage (JSON records, parsed on load); IndexedDB adds its own read time in a browser. The server is in the same process on loopback: over a real network the render from the network is slower still, the one from the cache the same.',
    `A day offline: the peer writes a tenth of each conversation's window (at least one message) in every conversation; the server clock moves one day. W1 user: ${w1User().length} conversations with W1's average history (capped at ${2 * WINDOW}).`,
  );
  out.durationMs = Date.now() - started;
  return out;
}
