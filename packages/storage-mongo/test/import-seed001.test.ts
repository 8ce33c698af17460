import { createChat, createMemoryStore, type ChatStore } from '@parley/core';
import { ObjectId, type Db } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { between, pick, seeded, seedFrom } from '../../../tests/support/random.js';
import { createMongoStore, importSeed001 } from '../src/index.js';
import { freshDatabase, useTestServer } from './server.js';

interface Source {
  users: string[];
  chats: Array<{ _id: ObjectId; type: 'direct' | 'group'; participants: string[] }>;
  messages: Array<{ _id: ObjectId; chatId: ObjectId; senderId: string; message: string; messageType: string; readBy: string[]; createdAt: Date }>;
}

/** Seed 001 shaped collections: direct chats (one pair twice), groups, messages with readBy, a call message and a call. */
async function generate(db: Db, seed: number): Promise<Source> {
  const random = seeded(seed);
  const users = Array.from({ length: 8 }, (_, i) => `user-${i}`);
  const t0 = Date.UTC(2024, 0, 1);
  const chats: Source['chats'] = [[0, 1], [0, 2], [3, 4], [0, 1]].map(([a, b]) => ({ _id: new ObjectId(), type: 'direct', participants: [users[a!]!, users[b!]!] }));
  for (let g = 0; g < 2; g++) chats.push({ _id: new ObjectId(), type: 'group', participants: users.filter((_, i) => (i + g) % 2 === 0 || i === 7) });
  await db.collection('chats').insertMany(chats.map((c, i) => ({ ...c, lastMessage: null, lastMessageAt: null, createdAt: new Date(t0 + i), updatedAt: new Date(t0 + i) })));
  const messages: Source['messages'] = [];
  for (let n = 0; n < 150; n++) {
    const c = pick(random, chats);
    messages.push({ _id: new ObjectId(), chatId: c._id, senderId: pick(random, c.participants), message: `note ${n}`, messageType: 'text', readBy: [], createdAt: new Date(t0 + 60_000 + n * 1000) });
  }
  for (const c of chats) {
    const inChat = messages.filter((m) => m.chatId.equals(c._id));
    for (const u of c.participants) {
      const upTo = between(random, -1, inChat.length - 1);
      inChat.forEach((m, i) => {
        if (i <= upTo) m.readBy.push(u);
      });
    }
  }
  await db.collection('messages').insertMany(messages.map((m) => ({ ...m, callData: null, updatedAt: m.createdAt })));
  await db.collection('messages').insertOne({ _id: new ObjectId(), chatId: chats[0]!._id, senderId: users[0], message: '', messageType: 'call', readBy: [], createdAt: new Date(t0 + 999_999), callData: { status: 'missed' } });
  await db.collection('calls').insertOne({ roomId: 'r1', initiatorId: users[0], participants: [], mediaType: 'audio', status: 'missed', createdAt: new Date(t0) });
  return { users, chats, messages };
}

/** Per conversation of `user` (direct pairs merged): messages in order and the unread count the source implies. */
function expectedFor(source: Source, user: string) {
  const key = (c: Source['chats'][number]) => (c.type === 'direct' ? [...c.participants].sort().join('+') : c._id.toHexString());
  const keys = [...new Set(source.chats.filter((c) => c.participants.includes(user)).map(key))];
  return keys.map((k) => {
    const ids = source.chats.filter((c) => key(c) === k).map((c) => c._id.toHexString());
    const messages = source.messages.filter((m) => ids.includes(m.chatId.toHexString()));
    let read = -1;
    messages.forEach((m, i) => {
      if (m.readBy.includes(user) || m.senderId === user) read = i;
    });
    return { messages, unread: messages.slice(read + 1).filter((m) => m.senderId !== user).length };
  });
}

describe('import seed001 (MongoDB collections) into any store', () => {
  const server = useTestServer();
  const seed = seedFrom('PARLEY_IMPORT_SEED');

  for (const target of ['memory', 'mongo'] as const) {
    it(`into the ${target} store: inbox, unread and history equal the source; a rerun changes nothing (seed ${seed})`, async () => {
      const sourceDb = server().database();
      const source = await generate(sourceDb, seed);
      const store: ChatStore = target === 'memory' ? createMemoryStore() : createMongoStore({ db: await freshDatabase(server()), capabilities: server().capabilities });
      const report = await importSeed001({ source: sourceDb, target: store, pageSize: 40, userName: (id) => id.toUpperCase() });
      expect(report).toMatchObject({ users: 8, directs: 4, groups: 2, messages: 150, skipped: 0 });
      expect(report.unmapped.map((u) => [u.source, u.reason])).toEqual([
        ['messages', 'call messages are not imported'],
        ['calls', 'calls are not imported: seed 001 calls name no conversation'],
      ]);
      const chat = createChat({ store });
      expect((await store.getUsers(['user-3']))[0]!.displayName).toBe('USER-3');
      for (const user of source.users) {
        const expected = expectedFor(source, user);
        const inbox = await chat.as(user).inbox({ limit: 50 });
        expect(inbox.items).toHaveLength(expected.length);
        expect((await chat.as(user).unreadTotal({})).total).toBe(expected.reduce((n, e) => n + e.unread, 0));
        for (const item of inbox.items) {
          const history = await chat.as(user).history({ conversationId: item.conversation.id, limit: 200 });
          const texts = history.events.flatMap((e) => (e.type === 'message' ? [e.message.text] : []));
          const match = expected.find((e) => e.messages.length === texts.length && e.messages.every((m, i) => m.message === texts[i]));
          expect(match, `conversation ${item.conversation.id} of ${user}`).toBeDefined();
          expect(item.unread).toBe(match!.unread);
        }
      }
      const again = await importSeed001({ source: sourceDb, target: store });
      expect(again).toMatchObject({ messages: 0, skipped: 150, watermarks: 0 });
      await chat.close();
    }, 120_000);
  }
});
