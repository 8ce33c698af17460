import type { SearchQuery } from '@parley/core';
import type { Message } from '@parley/protocol';
import type { EventDoc } from './collections.js';
import type { StoreContext } from './context.js';
import { storedMessage } from './documents.js';
import { SEARCH_SORT, searchFilter, searchWindow } from './queries.js';

/**
 * {@link ChatStore.search}: one query over the user's membership windows (one `$or` branch per
 * conversation, each a range on the (conversationId, seq) key), matched by `$text` or `$regex`,
 * newest first; hits the user hid are dropped batch by batch until `limit` are found.
 */
export async function searchMessages(ctx: StoreContext, query: SearchQuery): Promise<Message[]> {
  if (query.limit <= 0 || (ctx.searchMode === 'text' && query.query.trim() === '')) return [];
  const { members, conversations, events, hidden } = ctx.cols;
  const memberFilter: Record<string, unknown> = { userId: query.userId };
  if (query.conversationId !== undefined) memberFilter.conversationId = query.conversationId;
  const mine = await members.find(memberFilter).toArray();
  if (mine.length === 0) return [];
  const convs = await conversations
    .find({ id: { $in: mine.map((m) => m.conversationId) }, state: 'ready' })
    .project<{ id: string; lastSeq: number }>({ id: 1, lastSeq: 1 })
    .toArray();
  const lastSeq = new Map(convs.map((c) => [c.id, c.lastSeq]));
  const windows = mine.flatMap((m) => {
    const last = lastSeq.get(m.conversationId);
    const w = last === undefined ? null : searchWindow(m, last);
    return w ? [w] : [];
  });
  if (windows.length === 0) return [];
  const filter = searchFilter({ windows, query: query.query, mode: ctx.searchMode, before: query.before });
  const cursor = events.find(filter).sort(SEARCH_SORT).batchSize(query.limit + 8);
  const hits: Message[] = [];
  try {
    let batch: EventDoc[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const marks = await hidden
        .find({ userId: query.userId, conversationId: { $in: [...new Set(batch.map((d) => d.conversationId))] }, seq: { $in: batch.map((d) => d.seq) } })
        .project<{ conversationId: string; seq: number }>({ conversationId: 1, seq: 1 })
        .toArray();
      const hid = new Set(marks.map((h) => `${h.conversationId}\u0000${h.seq}`));
      for (const d of batch) {
        if (hits.length < query.limit && !hid.has(`${d.conversationId}\u0000${d.seq}`)) hits.push(storedMessage(d));
      }
      batch = [];
    };
    for await (const doc of cursor) {
      batch.push(doc);
      if (batch.length >= query.limit - hits.length) await flush();
      if (hits.length >= query.limit) break;
    }
    await flush();
  } finally {
    await cursor.close();
  }
  return hits;
}
