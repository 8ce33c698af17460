import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createChat, type ChatStore } from '@parley/core';
import type { ConversationEvent, Message } from '@parley/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedFrom } from '../../../tests/support/random.js';
import { importSeed000 } from '../src/import/seed000.js';
import { migrate } from '../src/migrations.js';
import { createPostgresStore } from '../src/postgres-store.js';
import { generateSeed000, type SourceData, type SourceMessage } from './support/seed000-fixture.js';
import { SERVER_URL, dropSchema, randomSchema, serverAvailable, serverDb } from './support/server.js';

const available = await serverAvailable();
const run = promisify(execFile);
const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

/** What Parley must show each user, derived from the source data alone. */
function expectedFor(data: SourceData, user: string) {
  const pairKey = (members: string[]) => [...members].sort().join('+');
  const groups = new Map<string, string[]>(); // Parley conversation key -> source chat ids
  for (const c of data.chats) {
    if (!c.members.includes(user)) continue;
    const key = c.type === 'individual' ? pairKey(c.members) : c.id;
    groups.set(key, [...(groups.get(key) ?? []), c.id]);
  }
  return [...groups.entries()].map(([key, chatIds]) => {
    const messages = data.messages.filter((m) => chatIds.includes(m.chatId)).sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : 1));
    // read position: the newest message the user has a 'read' status for, or their own newest message
    let read = -1;
    for (const chatId of chatIds) {
      const inChat = data.messages.filter((m) => m.chatId === chatId);
      const upTo = data.readUpTo.get(`${chatId}/${user}`) ?? -1;
      if (upTo >= 0) read = Math.max(read, messages.indexOf(inChat[upTo]!));
    }
    messages.forEach((m, i) => {
      if (m.senderId === user) read = Math.max(read, i);
    });
    const unread = messages.slice(read + 1).filter((m) => m.senderId !== user).length;
    return { key, chatIds, messages, unread, lastAt: messages.at(-1)?.at ?? null };
  });
}

const shown = (m: SourceMessage) => (m.deleted ? null : m.content);

async function fullHistory(store: ChatStore, user: string, conversationId: string): Promise<Message[]> {
  const chat = createChat({ store });
  const out: ConversationEvent[] = [];
  let before: number | undefined;
  for (;;) {
    const page = await chat.as(user).history({ conversationId, limit: 50, ...(before === undefined ? {} : { before }) });
    out.unshift(...page.events);
    if (!page.hasMore || page.events.length === 0) break;
    before = page.events[0]!.seq;
  }
  await chat.close();
  return out.flatMap((e) => (e.type === 'message' ? [e.message] : []));
}

describe.skipIf(!available)('parley-postgres import seed000 (server)', () => {
  const sourceSchema = randomSchema('seed000_src');
  const targetSchema = randomSchema('parley_imp');
  const { db } = serverDb(4);
  const seed = seedFrom('PARLEY_IMPORT_SEED');
  let data: SourceData;
  let store: ChatStore;

  beforeAll(async () => {
    data = await generateSeed000(db, sourceSchema, seed);
    await migrate({ db, schema: targetSchema });
    store = createPostgresStore({ db, schema: targetSchema });
  }, 120_000);
  afterAll(async () => {
    await dropSchema(db, sourceSchema);
    await dropSchema(db, targetSchema);
    await db.destroy();
  });

  it(`an interrupted import resumes; inbox, unread and history equal the source (seed ${seed})`, async () => {
    let pages = 0;
    const crash = importSeed000({ source: db, sourceSchema, target: db, targetSchema, pageSize: 50, onProgress: () => {
      if (++pages === 2) throw new Error('crash: killed mid-import');
    } });
    await expect(crash).rejects.toThrow('crash');
    const report = await importSeed000({ source: db, sourceSchema, target: db, targetSchema, pageSize: 50 });
    expect(report.unmapped.filter((u) => !u.reason.includes('imported without it'))).toEqual([]);
    expect(report).toMatchObject({ users: 10, directs: 5, groups: 3, skipped: 100 });
    expect(report.messages + report.skipped).toBe(240);
    expect(report.unmapped.every((u) => u.reason.includes('imported without it'))).toBe(true);

    const chat = createChat({ store });
    for (const user of data.users) {
      const expected = expectedFor(data, user);
      const inbox = await chat.as(user).inbox({ limit: 100 });
      const live = expected.filter((e) => e.messages.length > 0).sort((a, b) => b.lastAt! - a.lastAt!);
      // conversations with messages first, by last activity, each with its preview and unread count
      expect(inbox.items.slice(0, live.length).map((i) => [i.conversation.lastMessage?.text ?? null, i.unread])).toEqual(
        live.map((e) => [shown(e.messages.at(-1)!), e.unread]),
      );
      expect(inbox.items).toHaveLength(expected.length);
      expect((await chat.as(user).unreadTotal({})).total).toBe(expected.reduce((n, e) => n + e.unread, 0));
      for (const item of inbox.items.slice(0, live.length)) {
        const e = live[inbox.items.indexOf(item)]!;
        const history = await fullHistory(store, user, item.conversation.id);
        const idOf = new Map(history.map((m) => [m.seq, m.id]));
        expect(history.map((m) => [m.id, m.senderId, m.text, m.createdAt, m.replyTo === null ? null : idOf.get(m.replyTo), m.attachments.length, m.editedAt !== null])).toEqual(
          e.messages.map((m) => [
            m.id,
            m.senderId,
            shown(m),
            m.at,
            m.replyTo && !e.messages.find((x) => x.id === m.replyTo)!.deleted ? m.replyTo : null,
            m.media && !m.deleted ? 1 : 0,
            m.edited && !m.deleted,
          ]),
        );
      }
    }
    // a rerun is a no-op
    const before = await Promise.all(data.chats.map(async (c) => (await store.getConversation(c.id))?.lastSeq ?? null));
    // through the CLI this time
    const { stdout } = await run(process.execPath, ['--conditions=@parley/source', '--import', 'tsx', cli, 'import', 'seed000',
      '--from', SERVER_URL, '--from-schema', sourceSchema, '--to', SERVER_URL, '--schema', targetSchema]);
    expect(JSON.parse(stdout)).toMatchObject({ messages: 0, skipped: 240, watermarks: 0, users: 10, directs: 5, groups: 3 });
    expect(await Promise.all(data.chats.map(async (c) => (await store.getConversation(c.id))?.lastSeq ?? null))).toEqual(before);
    await chat.close();
  }, 240_000);
});
