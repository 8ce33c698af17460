/**
 * The offline cache over each storage (memory, IndexedDB through fake-indexeddb): per-user
 * namespaces, the schema version, records that do not hold together, and the size budget.
 */
import { IDBFactory } from 'fake-indexeddb';
import type { InboxEntry, Message } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import type { CachedConversation, CachedInbox } from '../src/index.js';
import { CACHE_SCHEMA_VERSION, createOfflineCache, indexedDbCacheStorage, memoryCacheStorage, type OfflineStorage } from '../src/offline/index.js';

const entry = (id: string, lastSeq: number): InboxEntry =>
  ({
    conversation: { id, kind: 'group', title: id, lastSeq, lastActivityAt: lastSeq, messageCount: lastSeq, memberCount: 2, lastMessage: null },
    member: { conversationId: id, userId: 'ana', role: 'member', joinSeq: 1, leftSeq: null, readSeq: 1, deliveredSeq: 1, mutedUntil: null },
    unread: lastSeq - 1,
    peer: null,
  }) as unknown as InboxEntry;

const message = (conversationId: string, seq: number, text = `m${seq}`): Message =>
  ({ id: `${conversationId}-${seq}`, conversationId, seq, senderId: 'ben', kind: 'text', text, clientId: null, createdAt: seq, editedAt: null, deletedAt: null, reactions: {}, pinned: false, replyTo: null, attachments: [] }) as unknown as Message;

const window = (conversationId: string, count: number, openedAt: number, pad = 0): CachedConversation => ({
  conversationId,
  appliedSeq: count + 1,
  hasOlder: false,
  messages: Array.from({ length: count }, (_, i) => message(conversationId, i + 2, `m${i}`.padEnd(pad, '.'))),
  receipts: [{ conversationId, userId: 'ben', deliveredSeq: count + 1, readSeq: count + 1 }],
  openedAt,
});

const inbox = (ids: string[]): CachedInbox => ({ cursor: 'cursor-1', entries: ids.map((id) => entry(id, 5)), contacts: [] });

const storages: Array<[string, () => OfflineStorage]> = [
  ['memory', () => memoryCacheStorage()],
  ['IndexedDB (fake-indexeddb)', () => indexedDbCacheStorage({ indexedDB: new IDBFactory() })],
];

describe.each(storages)('offline cache on %s storage', (_name, make) => {
  it('round-trips the inbox and windows of a user, and another user reads none of it', async () => {
    const storage = make();
    const cache = createOfflineCache({ storage });
    await cache.save('ana', { inbox: inbox(['c1', 'c2']), conversations: [window('c1', 3, 10)] });
    expect(await cache.load('ana')).toEqual(inbox(['c1', 'c2']));
    expect(await cache.loadConversation('ana', 'c1')).toEqual(window('c1', 3, 10));
    // a second user on the same storage: nothing, whether through this cache object or a new one
    expect(await cache.load('ben')).toBeNull();
    expect(await cache.loadConversation('ben', 'c1')).toBeNull();
    expect(await createOfflineCache({ storage }).load('ben')).toBeNull();
    expect(await storage.keys('user:ben')).toEqual([]);
    // sign-out clears one user and leaves the other
    await cache.save('ben', { inbox: inbox(['c9']), conversations: [] });
    await cache.clear('ana');
    expect(await storage.keys('user:ana')).toEqual([]);
    expect(await createOfflineCache({ storage }).load('ana')).toBeNull();
    expect(await cache.load('ben')).toEqual(inbox(['c9']));
  });

  it('discards records of another schema version instead of reading them', async () => {
    const storage = make();
    const old = (body: object) => JSON.stringify({ v: CACHE_SCHEMA_VERSION - 1, userId: 'ana', ...body });
    await storage.put('user:ana', [
      ['inbox', old({ kind: 'inbox', cursor: 'c', entries: [entry('c1', 5)], contacts: [] })],
      ['conv:c1', old({ kind: 'conversation', ...window('c1', 2, 1) })],
    ]);
    const cache = createOfflineCache({ storage });
    expect(await cache.load('ana')).toBeNull();
    expect(await cache.loadConversation('ana', 'c1')).toBeNull();
    expect(await storage.keys('user:ana')).toEqual([]);
  });

  it('a torn or corrupt record counts as absent; the others still load', async () => {
    const storage = make();
    const cache = createOfflineCache({ storage });
    await cache.save('ana', { inbox: inbox(['c1', 'c2']), conversations: [window('c1', 3, 1), window('c2', 3, 2)] });
    const raw = (await storage.get('user:ana', 'conv:c1'))!;
    await storage.put('user:ana', [['conv:c1', raw.slice(0, raw.length / 2)]]); // half-written
    // a record that parses but does not hold together: messages after its appliedSeq
    const bad = { ...window('c2', 3, 2), appliedSeq: 2 };
    await storage.put('user:ana', [['conv:c2', JSON.stringify({ v: CACHE_SCHEMA_VERSION, userId: 'ana', kind: 'conversation', ...bad })]]);
    const again = createOfflineCache({ storage });
    expect(await again.load('ana')).toEqual(inbox(['c1', 'c2']));
    expect(await again.loadConversation('ana', 'c1')).toBeNull();
    expect(await again.loadConversation('ana', 'c2')).toBeNull();
    expect((await storage.keys('user:ana')).sort()).toEqual(['inbox', 'index']);
    // a record of another user copied under this user's namespace is not taken either
    await storage.put('user:ana', [['inbox', (await storage.get('user:ana', 'inbox'))!.replace('"userId":"ana"', '"userId":"eve"')]]);
    expect(await createOfflineCache({ storage }).load('ana')).toBeNull();
  });

  it('keeps within the size budget by dropping the least recently opened windows', async () => {
    const storage = make();
    const one = JSON.stringify(window('cx', 20, 0, 200)).length;
    const cache = createOfflineCache({ storage, maxBytes: Math.floor(one * 3.5) });
    for (const [id, openedAt] of [['a', 5], ['b', 1], ['c', 4], ['d', 2]] as const) await cache.save('ana', { conversations: [window(id, 20, openedAt, 200)] });
    // four windows do not fit: b (opened first) went
    expect((await cache.conversations('ana')).sort()).toEqual(['a', 'c', 'd']);
    expect(await cache.loadConversation('ana', 'b')).toBeNull();
    expect(await cache.size('ana')).toBeLessThanOrEqual(Math.floor(one * 3.5));
    // opening d again makes it the newest: the next window evicts c, now the least recently opened
    await cache.save('ana', { conversations: [window('d', 20, 9, 200)] });
    await cache.save('ana', { conversations: [window('e', 20, 10, 200)] });
    expect((await cache.conversations('ana')).sort()).toEqual(['a', 'd', 'e']);
    // a new cache object rebuilds the same index from the storage
    expect((await createOfflineCache({ storage, maxBytes: one * 4 }).conversations('ana')).sort()).toEqual(['a', 'd', 'e']);
    expect((await storage.keys('user:ana')).filter((k) => k.startsWith('conv:')).sort()).toEqual(['conv:a', 'conv:d', 'conv:e']);
  });

  it('a lost index is rebuilt from the windows that are there', async () => {
    const storage = make();
    await createOfflineCache({ storage }).save('ana', { conversations: [window('a', 2, 1), window('b', 2, 2)] });
    await storage.delete('user:ana', ['index']);
    const cache = createOfflineCache({ storage });
    expect((await cache.conversations('ana')).sort()).toEqual(['a', 'b']);
    expect(await cache.loadConversation('ana', 'b')).toEqual(window('b', 2, 2));
  });
});
