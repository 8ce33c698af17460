import type { SearchQuery } from '@parley/core';
import type { Message } from '@parley/protocol';
import type { EventDoc } from './collections.js';
import type { StoreContext } from './context.js';
import { storedMessage } from './documents.js';
import { eventId } from './ids.js';
import { SEARCH_SORT, containsFilter, searchFilter, searchWindow } from './queries.js';

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
  const former = mine.flatMap((m) => {
    const w = m.leftSeq === null ? null : windows.find((x) => x.conversationId === m.conversationId);
    return w ? [w] : [];
  });
  if (former.length === 0) return hits;
  return mergeHits(hits, await seenTexts(ctx, query, former), query.limit);
}

/**
 * Former members also find the texts they saw: a message's text as sent (`originalText`) or as
 * edited before they left. Matched as substrings; the engine rolls each hit back to leftSeq.
 */
async function seenTexts(ctx: StoreContext, query: SearchQuery, windows: Array<{ conversationId: string; from: number; to: number }>): Promise<Message[]> {
  const { events, hidden } = ctx.cols;
  const inWindows = { $or: windows.map((w) => ({ conversationId: w.conversationId, seq: { $gte: w.from, $lte: w.to } })) };
  const edits = await events
    .find({ type: 'message.edited', 'data.text': containsFilter(query.query), ...inWindows })
    .project<{ conversationId: string; target: number }>({ conversationId: 1, target: 1 })
    .toArray();
  const byText = searchFilter({ windows, query: query.query, mode: 'regex', before: query.before });
  delete byText['message.text'];
  const or: Record<string, unknown>[] = [{ originalText: containsFilter(query.query) }];
  if (edits.length > 0) or.push({ _id: { $in: edits.map((e) => eventId(e.conversationId, e.target)) } });
  const docs = await events
    .find({ ...byText, $and: [...(byText.$and ?? []), { $or: or }] })
    .sort(SEARCH_SORT)
    .limit(query.limit)
    .toArray();
  if (docs.length === 0) return [];
  const marks = await hidden
    .find({ userId: query.userId, conversationId: { $in: [...new Set(docs.map((d) => d.conversationId))] }, seq: { $in: docs.map((d) => d.seq) } })
    .project<{ conversationId: string; seq: number }>({ conversationId: 1, seq: 1 })
    .toArray();
  const hid = new Set(marks.map((h) => `${h.conversationId}\u0000${h.seq}`));
  return docs.filter((d) => !hid.has(`${d.conversationId}\u0000${d.seq}`)).map(storedMessage);
}

/** Two newest-first hit lists merged without duplicates, at most `limit`. */
function mergeHits(a: Message[], b: Message[], limit: number): Message[] {
  const byKey = new Map<string, Message>();
  for (const m of [...a, ...b]) byKey.set(`${m.conversationId}\u0000${m.seq}`, m);
  return [...byKey.values()]
    .sort((x, y) => y.createdAt - x.createdAt || (x.conversationId < y.conversationId ? 1 : x.conversationId > y.conversationId ? -1 : 0) || y.seq - x.seq)
    .slice(0, limit);
}
