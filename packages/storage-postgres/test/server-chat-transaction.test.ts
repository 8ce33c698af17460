import { createChat, createFeed, isChatError, type BusMessage, type Chat } from '@parley/core';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inChatTransaction } from '../src/chat-transaction.js';
import { migrate } from '../src/migrations.js';
import { createPostgresStore } from '../src/postgres-store.js';
import { dropSchema, randomSchema, serverAvailable, serverDb } from './support/server.js';

// The host's business write and a chat event in one transaction on a Postgres server.
const available = await serverAvailable();

describe.skipIf(!available)('inChatTransaction (Postgres server)', () => {
  const schema = randomSchema('parley_tx');
  const { db } = serverDb(6);
  let chat: Chat;
  let conversationId: string;
  const published: BusMessage[] = [];
  const orders = () => sql.table(`${schema}.orders`);
  const orderCount = async (id: string) => Number((await sql<{ n: string }>`select count(*) as n from ${orders()} where id = ${id}`.execute(db)).rows[0]!.n);
  const messages = async () =>
    (await chat.as('shop').history({ conversationId, limit: 100 })).events.flatMap((e) => (e.type === 'message' ? [e.message.text] : []));

  beforeAll(async () => {
    await migrate({ db, schema });
    await sql`create table ${orders()} (id text primary key, total integer not null)`.execute(db);
    chat = createChat({ store: createPostgresStore({ db, schema }) });
    for (const u of ['shop', 'ana', 'eve']) await chat.upsertUser({ id: u, displayName: u });
    conversationId = (await chat.as('shop').createGroup({ title: 'orders', memberIds: ['ana'] })).id;
    await chat.pubsub.subscribe(`c:${conversationId}`, (m) => void published.push(m));
  });
  afterAll(async () => {
    await chat?.close();
    await dropSchema(db, schema);
    await db.destroy();
  });

  it('commit: the order row and the message commit together; the event is published only after the commit, and the feed has it', async () => {
    let publishedInside = -1;
    const message = await inChatTransaction({ chat, db, schema }, async ({ chat: tx, trx }) => {
      await sql`insert into ${orders()} (id, total) values ('o-1', 4200)`.execute(trx);
      const m = await tx.systemMessage({ conversationId, senderId: 'shop', text: 'Order o-1 placed' });
      // not visible outside the transaction yet, and not announced
      expect(await messages()).toEqual([]);
      await new Promise((r) => setTimeout(r, 20));
      publishedInside = published.length;
      return m;
    });
    expect(publishedInside).toBe(0);
    expect(await orderCount('o-1')).toBe(1);
    expect(await messages()).toEqual(['Order o-1 placed']);
    await new Promise((r) => setTimeout(r, 20));
    expect(published.map((p) => (p.t === 'event' ? p.event.seq : null))).toEqual([message.seq]);
    const seen: number[] = [];
    const feed = createFeed({ chat, name: 'tx-check', lease: false, types: ['message'], handle: ({ events }) => void seen.push(...events.map((e) => e.seq)) });
    await feed.runOnce();
    expect(seen).toContain(message.seq);
  });

  it('rollback: a failure after the chat write undoes both; nothing is published, and the seq is not burnt', async () => {
    const before = (await chat.store.getConversation(conversationId))!.lastSeq;
    const count = published.length;
    await expect(
      inChatTransaction({ chat, db, schema }, async ({ chat: tx, trx }) => {
        await sql`insert into ${orders()} (id, total) values ('o-2', 100)`.execute(trx);
        await tx.as('ana').send({ conversationId, clientId: 'tx-1', text: 'ordering o-2' });
        throw new Error('payment declined');
      }),
    ).rejects.toThrow('payment declined');
    expect(await orderCount('o-2')).toBe(0);
    expect(await messages()).toEqual(['Order o-1 placed']);
    expect((await chat.store.getConversation(conversationId))!.lastSeq).toBe(before);
    const next = await chat.as('ana').send({ conversationId, clientId: 'after', text: 'next' });
    expect(next.seq).toBe(before + 1);
    await new Promise((r) => setTimeout(r, 20));
    expect(published.length).toBe(count + 1); // only the send after the rollback
  });

  it('the engine rules hold inside the transaction: a refused chat write rolls the business write back', async () => {
    let code = '';
    await inChatTransaction({ chat, db, schema }, async ({ chat: tx, trx }) => {
      await sql`insert into ${orders()} (id, total) values ('o-3', 1)`.execute(trx);
      await tx.as('eve').send({ conversationId, clientId: 'x', text: 'not a member' });
    }).catch((error: unknown) => (code = isChatError(error) ? error.code : 'other'));
    expect(code).toBe('FORBIDDEN');
    expect(await orderCount('o-3')).toBe(0);
  });
});
