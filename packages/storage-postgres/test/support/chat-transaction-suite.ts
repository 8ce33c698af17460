import { createChat, createFeed, isChatError, type BusMessage, type Chat } from '@parley/core';
import { sql, type Kysely } from 'kysely';
import { beforeEach, describe, expect, it } from 'vitest';
import { inChatTransaction } from '../../src/chat-transaction.js';
import { createPostgresStore } from '../../src/postgres-store.js';

/**
 * The host's business write and a chat event in one transaction, on a migrated database (`schema`
 * as migrated). Fixtures are made per test, so the file may empty Parley's tables between tests.
 */
export function chatTransactionSuite(setup: () => { db: Kysely<unknown>; schema?: string }): void {
  describe('inChatTransaction', () => {
    let db: Kysely<unknown>;
    let schema: string | undefined;
    let chat: Chat;
    let conversationId: string;
    let published: BusMessage[];
    const orders = () => sql.table(schema ? `${schema}.orders` : 'orders');
    const orderCount = async (id: string) => Number((await sql<{ n: string }>`select count(*) as n from ${orders()} where id = ${id}`.execute(db)).rows[0]!.n);
    const messages = async () =>
      (await chat.as('shop').history({ conversationId, limit: 100 })).events.flatMap((e) => (e.type === 'message' ? [e.message.text] : []));
    const tx = <T>(work: Parameters<typeof inChatTransaction<unknown, T>>[1]) => inChatTransaction({ chat, db, ...(schema ? { schema } : {}) }, work);

    beforeEach(async () => {
      ({ db, schema } = setup());
      await sql`create table if not exists ${orders()} (id text primary key, total integer not null)`.execute(db);
      await sql`delete from ${orders()}`.execute(db);
      chat = createChat({ store: createPostgresStore({ db, ...(schema ? { schema } : {}) }) });
      for (const u of ['shop', 'ana', 'eve']) await chat.upsertUser({ id: u, displayName: u });
      conversationId = (await chat.as('shop').createGroup({ title: 'orders', memberIds: ['ana'] })).id;
      published = [];
      await chat.pubsub.subscribe(`c:${conversationId}`, (m) => void published.push(m));
    });

    it('commit: the order row and the message commit together; the event is published only after the commit, and the feed has it', async () => {
      let publishedInside = -1;
      const message = await tx(async ({ chat: inTx, trx }) => {
        await sql`insert into ${orders()} (id, total) values ('o-1', 4200)`.execute(trx);
        const m = await inTx.systemMessage({ conversationId, senderId: 'shop', text: 'Order o-1 placed' });
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
      const feed = createFeed({ chat, name: `tx-${conversationId}`, lease: false, types: ['message'], handle: ({ events }) => void seen.push(...events.map((e) => e.seq)) });
      await feed.runOnce();
      expect(seen).toContain(message.seq);
    });

    it('rollback: a failure after the chat write undoes both; nothing is published, and the seq is not burnt', async () => {
      const before = (await chat.store.getConversation(conversationId))!.lastSeq;
      await expect(
        tx(async ({ chat: inTx, trx }) => {
          await sql`insert into ${orders()} (id, total) values ('o-2', 100)`.execute(trx);
          await inTx.as('ana').send({ conversationId, clientId: 'tx-1', text: 'ordering o-2' });
          throw new Error('payment declined');
        }),
      ).rejects.toThrow('payment declined');
      expect(await orderCount('o-2')).toBe(0);
      expect(await messages()).toEqual([]);
      expect((await chat.store.getConversation(conversationId))!.lastSeq).toBe(before);
      const next = await chat.as('ana').send({ conversationId, clientId: 'after', text: 'next' });
      expect(next.seq).toBe(before + 1);
      await new Promise((r) => setTimeout(r, 20));
      expect(published.length).toBe(1); // only the send after the rollback
    });

    it('the engine rules hold inside the transaction: a refused chat write rolls the business write back', async () => {
      let code = '';
      await tx(async ({ chat: inTx, trx }) => {
        await sql`insert into ${orders()} (id, total) values ('o-3', 1)`.execute(trx);
        await inTx.as('eve').send({ conversationId, clientId: 'x', text: 'not a member' });
      }).catch((error: unknown) => (code = isChatError(error) ? error.code : 'other'));
      expect(code).toBe('FORBIDDEN');
      expect(await orderCount('o-3')).toBe(0);
    });
  });
}
