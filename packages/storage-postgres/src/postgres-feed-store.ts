import type { FeedStore } from '@parley/core';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { Row } from './rows.js';
import type { TableRef } from './tables.js';

/**
 * The change feed's state on Postgres (migration `0005_feed`). Pending work is the conversations
 * whose `last_seq` is above the consumer's cursor: a join on the conversations' primary key, paged
 * by conversation id.
 */
export function createPostgresFeedStore(db: Kysely<unknown>, t: TableRef): FeedStore {
  const rows = async (query: ReturnType<typeof sql<Row>>) => (await query.execute(db)).rows;
  return {
    async pending({ consumer, afterConversationId, limit }) {
      const found = await rows(sql<Row>`
        select c.id, c.last_seq, coalesce(f.seq, 0) as cursor from ${t('conversations')} c
        left join ${t('feed_cursors')} f on f.consumer = ${consumer} and f.conversation_id = c.id
        where c.id > ${afterConversationId ?? ''} and c.last_seq > coalesce(f.seq, 0)
        order by c.id limit ${limit}`);
      return found.map((r) => ({ conversationId: String(r.id), cursor: Number(r.cursor), lastSeq: Number(r.last_seq) }));
    },
    async saveCursor({ consumer, conversationId, seq }) {
      await sql`insert into ${t('feed_cursors')} as f (consumer, conversation_id, seq) values (${consumer}, ${conversationId}, ${seq})
        on conflict (consumer, conversation_id) do update set seq = greatest(f.seq, excluded.seq)`.execute(db);
    },
    async takeLease({ consumer, holder, now, ttlMs }) {
      const won = await rows(sql<Row>`
        insert into ${t('feed_leases')} as l (consumer, holder, expires_at) values (${consumer}, ${holder}, ${now + ttlMs})
        on conflict (consumer) do update set holder = excluded.holder, expires_at = excluded.expires_at
          where l.holder = excluded.holder or l.expires_at <= ${now}
        returning l.holder`);
      return won.length === 1;
    },
    async releaseLease({ consumer, holder }) {
      await sql`delete from ${t('feed_leases')} where consumer = ${consumer} and holder = ${holder}`.execute(db);
    },
    async park({ consumer, conversationId, seq, reason, at }) {
      await sql`insert into ${t('feed_parked')} (consumer, conversation_id, seq, reason, at) values (${consumer}, ${conversationId}, ${seq}, ${reason}, ${at})
        on conflict (consumer, conversation_id, seq) do update set reason = excluded.reason, at = excluded.at`.execute(db);
    },
    async parked({ consumer, after, limit }) {
      const found = await rows(sql<Row>`
        select conversation_id, seq, reason, at from ${t('feed_parked')}
        where consumer = ${consumer} and (conversation_id, seq) > (${after?.conversationId ?? ''}, ${after?.seq ?? -1}::bigint)
        order by conversation_id, seq limit ${limit}`);
      return found.map((r) => ({ conversationId: String(r.conversation_id), seq: Number(r.seq), reason: String(r.reason), at: Number(r.at) }));
    },
    async unpark({ consumer, conversationId, seq }) {
      const gone = await rows(sql<Row>`delete from ${t('feed_parked')}
        where consumer = ${consumer} and conversation_id = ${conversationId} and seq = ${seq} returning 1 as one`);
      return gone.length > 0;
    },
  };
}
