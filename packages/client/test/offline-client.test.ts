/**
 * The offline cache in a client against a real server: the app opens offline with the cached
 * inbox and conversations; back online it resumes from the cached seqs, fetching only what the
 * cache lacks, and converges exactly with the server — also from a cache stale by days, partially
 * written, or from an older schema version. Per user, cleared on sign-out.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ClientOptions, ParleyClient } from '../src/index.js';
import { CACHE_SCHEMA_VERSION, createOfflineCache, memoryCacheStorage, type OfflineStorage } from '../src/offline/index.js';
import { differences } from '../../../tests/support/convergence.js';
import { TestServer, converged, device, heldInbox, heldMessages, recordingWebSocket, serverInbox, serverMessages, until, type SentFrame } from './harness.js';

const DAY = 24 * 3600 * 1000;
const WINDOW = 20;
let server: TestServer | null = null;
const clients: ParleyClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server?.stop();
  server = null;
});

/** A server whose clock can be moved forward, with ana in four groups where ben wrote. */
async function world() {
  let offset = 0;
  const s = new TestServer({ clock: { now: () => Date.now() + offset } });
  server = s;
  await s.start();
  for (const id of ['ana', 'ben']) await s.chat.upsertUser({ id, displayName: id });
  const ids: string[] = [];
  for (let i = 0; i < 4; i++) {
    const g = await s.chat.as('ben').createGroup({ title: `g${i}`, memberIds: ['ana'] });
    for (let j = 0; j < 5; j++) await s.chat.as('ben').send({ conversationId: g.id, clientId: `g${i}-${j}`, text: `hello ${i}.${j}` });
    ids.push(g.id);
  }
  return { s, ids, later: (ms: number) => void (offset += ms) };
}

const anaDevice = (s: TestServer, storage: OfflineStorage, extra: Partial<ClientOptions> = {}) => {
  const c = device(s, 'ana', 'ana', { userId: 'ana', messageWindow: WINDOW, cache: createOfflineCache({ storage }), cacheDelayMs: 20, ...extra });
  clients.push(c);
  return c;
};

/** A first session: ana opens every conversation, the cache is written, the app closes. */
async function firstSession(s: TestServer, ids: string[], storage: OfflineStorage) {
  const ana = anaDevice(s, storage);
  await ana.ready();
  for (const id of ids) await ana.open(id);
  await converged(s, [[ana, 'ana']], ids);
  await ana.flushCache();
  ana.close();
  clients.splice(clients.indexOf(ana), 1);
}

/** While ana is away: news in every conversation, more than a window in the second. */
async function whileAway(s: TestServer, ids: string[]) {
  const [c1, c2, c3, c4] = ids as [string, string, string, string];
  for (let j = 0; j < 3; j++) await s.chat.as('ben').send({ conversationId: c1, clientId: `away1-${j}`, text: `away ${j}` });
  for (let j = 0; j < WINDOW + 10; j++) await s.chat.as('ben').send({ conversationId: c2, clientId: `away2-${j}`, text: `flood ${j}` });
  const first = (await s.chat.as('ana').history({ conversationId: c3, limit: 3 })).events.find((e) => e.type === 'message')!;
  await s.chat.as('ben').edit({ conversationId: c3, seq: first.seq, text: 'edited while away' });
  await s.chat.as('ben').react({ conversationId: c3, seq: first.seq, emoji: '👍' });
  // on another device ana hides a message and reads a conversation
  const hide = (await s.chat.as('ana').history({ conversationId: c4, limit: 2 })).events.at(-1)!;
  await s.chat.as('ana').delete({ conversationId: c4, seq: hide.seq, scope: 'me' });
  await s.chat.as('ana').markRead({ conversationId: c3, seq: 999 });
}

/** Back online: converge, and tell what the resume asked the server for. */
async function backOnline(s: TestServer, ids: string[], storage: OfflineStorage) {
  const sent: SentFrame[] = [];
  const ana = anaDevice(s, storage, { WebSocket: recordingWebSocket(sent) });
  for (const id of ids) void ana.open(id);
  await ana.ready();
  await exactly(s, ana, ids);
  return { ana, sent };
}

/** The device equals the server: held windows (as far as they reach), inbox rows and previews, unread, receipts. */
async function exactly(s: TestServer, client: ParleyClient, ids: string[]) {
  const byId = <T extends { id: string }>(rows: T[]) => [...rows].sort((a, b) => (a.id < b.id ? -1 : 1));
  await until(async () => {
    expect(await differences(s.chat, { name: 'ana', userId: 'ana', client, held: ids })).toEqual([]);
    expect(byId(heldInbox(client))).toEqual(byId(await serverInbox(s.chat, 'ana')));
  }, 15_000);
}

describe('offline cache in the client', () => {
  it('opens offline with the cached inbox and conversations, then resumes from the cached seqs and converges', async () => {
    const { s, ids } = await world();
    const storage = memoryCacheStorage();
    await firstSession(s, ids, storage);
    const cachedInbox = await (async () => {
      const { items } = await s.chat.as('ana').inbox({ limit: 50 });
      return items.map((e) => [e.conversation.id, e.conversation.lastSeq, e.unread]);
    })();
    const cachedMessages = await Promise.all(ids.map((id) => serverMessages(s.chat, 'ana', id)));
    const appliedBefore = Object.fromEntries(cachedInbox.map(([id, lastSeq]) => [id as string, lastSeq as number]));
    await s.stop();

    // offline: the inbox and every opened conversation show at once, from the cache
    const offline = anaDevice(s, storage);
    await until(() => expect(offline.inbox.getSnapshot().items.map((e) => [e.conversation.id, e.conversation.lastSeq, e.unread])).toEqual(cachedInbox), 1000);
    for (const [i, id] of ids.entries()) {
      await offline.open(id);
      expect(offline.messages(id).getSnapshot().loaded).toBe(true);
      expect(heldMessages(offline, id)).toEqual(cachedMessages[i]);
    }
    expect(offline.state).not.toBe('ready');
    expect(offline.userId).toBe('ana');
    offline.close();

    await whileAway(s, ids);
    await s.start();
    const { sent } = await backOnline(s, ids, storage);
    // only what the cache lacked: a sync from the cached cursor, history after the cached seqs
    const syncs = sent.filter((f) => f.op === 'sync');
    expect(syncs[0]!.params).toHaveProperty('since');
    const [c1, c2, c3, c4] = ids as [string, string, string, string];
    const histories = (id: string) => sent.filter((f) => f.op === 'history' && f.params?.conversationId === id).map((f) => f.params!);
    for (const id of [c1, c3, c4]) {
      expect(histories(id).length).toBeGreaterThan(0);
      for (const h of histories(id)) expect(h.after).toBeGreaterThanOrEqual(appliedBefore[id]!);
    }
    // the flooded one lost more than a window: it reloads its newest page, as without a cache
    expect(histories(c2).some((h) => h.after === undefined)).toBe(true);
  });

  it('a cache stale by days (incremental sync) and by more than the sync horizon (reset) both converge', async () => {
    for (const days of [3, 40]) {
      const { s, ids, later } = await world();
      const storage = memoryCacheStorage();
      await firstSession(s, ids, storage);
      later(days * DAY);
      await whileAway(s, ids);
      const { sent } = await backOnline(s, ids, storage);
      const reply = sent.find((f) => f.op === 'sync');
      expect(reply?.params, `${days} days`).toHaveProperty('since');
      for (const c of clients.splice(0)) c.close();
      await s.stop();
      server = null;
    }
  });

  it('a partially written cache (inbox record lost, a window torn in half) converges', async () => {
    const { s, ids } = await world();
    const storage = memoryCacheStorage();
    await firstSession(s, ids, storage);
    const raw = (await storage.get('user:ana', `conv:${ids[0]}`))!;
    await storage.put('user:ana', [[`conv:${ids[0]}`, raw.slice(0, Math.floor(raw.length * 0.6))]]);
    await storage.delete('user:ana', ['inbox']);
    await whileAway(s, ids);
    const { sent } = await backOnline(s, ids, storage);
    // without the inbox record there is no cursor: a full sync, never a cursor without its rows
    expect(sent.find((f) => f.op === 'sync')!.params).not.toHaveProperty('since');
    expect(sent.some((f) => f.op === 'history' && f.params?.conversationId === ids[0] && f.params?.after === undefined)).toBe(true);
  });

  it('a cache from an older schema version is discarded, not misread, and rewritten in the current one', async () => {
    const { s, ids } = await world();
    const storage = memoryCacheStorage();
    await firstSession(s, ids, storage);
    // the same records as an older version would have left them, with wrong unread counts
    for (const key of await storage.keys('user:ana')) {
      const value = JSON.parse((await storage.get('user:ana', key))!) as { v: number; entries?: { unread: number }[] };
      value.v = CACHE_SCHEMA_VERSION - 1;
      for (const e of value.entries ?? []) e.unread = 77;
      await storage.put('user:ana', [[key, JSON.stringify(value)]]);
    }
    await s.stop();
    const offline = anaDevice(s, storage);
    await new Promise((r) => setTimeout(r, 100));
    expect(offline.inbox.getSnapshot().items).toEqual([]);
    offline.close();
    await whileAway(s, ids);
    await s.start();
    const { ana } = await backOnline(s, ids, storage);
    await ana.flushCache();
    for (const key of await storage.keys('user:ana')) expect((JSON.parse((await storage.get('user:ana', key))!) as { v: number }).v).toBe(CACHE_SCHEMA_VERSION);
  });

  it('is per user: another user on the same storage sees none of it, and sign-out clears it', async () => {
    const { s, ids } = await world();
    const storage = memoryCacheStorage();
    await firstSession(s, ids, storage);
    const cache = createOfflineCache({ storage });
    // a client named for ben on the same storage starts empty
    const ben = device(s, 'ben', 'ben-device', { userId: 'ben', cache, autoConnect: false });
    clients.push(ben);
    await new Promise((r) => setTimeout(r, 50));
    expect(ben.inbox.getSnapshot().items).toEqual([]);
    ben.close();
    // the app thought it was ana, the server says cy: cy's inbox only, and nothing written as ana
    await s.chat.upsertUser({ id: 'cy', displayName: 'cy' });
    const before = await storage.get('user:ana', 'inbox');
    const cy = device(s, 'cy', 'cy-device', { userId: 'ana', cache, cacheDelayMs: 10 });
    clients.push(cy);
    await cy.ready();
    await until(() => expect(cy.inbox.getSnapshot().items).toEqual([]));
    await cy.flushCache();
    expect(await storage.get('user:ana', 'inbox')).toBe(before);
    cy.close();
    // ana signs out: her records are gone
    const ana = anaDevice(s, storage);
    await ana.ready();
    await converged(s, [[ana, 'ana']], []);
    await ana.signOut();
    expect(await storage.keys('user:ana')).toEqual([]);
    const next = anaDevice(s, storage, { autoConnect: false });
    await new Promise((r) => setTimeout(r, 50));
    expect(next.inbox.getSnapshot().items).toEqual([]);
  });
});
