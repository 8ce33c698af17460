import type { ConversationEvent, InboxEntry, Message, Receipt, User } from '@parley/protocol';
import { publicMember, seesSeq, windowsOf } from '../apply.js';
import { publicConversation, publish, type EngineContext } from '../context.js';
import { decodeCursor, encodeCursor, shape } from '../cursor.js';
import { conversationAsSeen, isFormer, messagesAsSeen, textMatches } from '../former-view.js';
import { jsonBytes, withinBudget } from '../reply-budget.js';
import { topics } from '../pubsub.js';
import { requireActive, requireMembership, type Access } from '../rules.js';
import type { InboxRow, MemberRecord } from '../store.js';
import { usersAsSeenBy } from '../user-view.js';
import type { Handlers } from './types.js';

/** Inbox entries with the peer profile of direct conversations filled in (one batched user read). */
async function toEntries(ctx: EngineContext, actor: string, rows: InboxRow[]): Promise<InboxEntry[]> {
  const peerIds = rows.flatMap((r) => r.conversation.directPair.filter((id) => id !== actor));
  const peers = new Map<string, User>();
  if (peerIds.length > 0) for (const u of await usersAsSeenBy(ctx, actor, await ctx.store.getUsers([...new Set(peerIds)]))) peers.set(u.id, u);
  return rows.map((r) => {
    const peerId = r.conversation.directPair.find((id) => id !== actor);
    return {
      conversation: publicConversation(r.conversation, r.member),
      member: publicMember(r.member),
      unread: r.unread,
      peer: peerId === undefined ? null : (peers.get(peerId) ?? null),
    };
  });
}

const toReceipt = (m: MemberRecord): Receipt => ({ conversationId: m.conversationId, userId: m.userId, deliveredSeq: m.deliveredSeq, readSeq: m.readSeq });

/** Moves one member's watermark (clamped to what they may see) and publishes the receipt when it moved. */
export async function moveWatermarks(ctx: EngineContext, access: Access, actor: string, seq: number, read: boolean): Promise<Receipt> {
  const max = Math.min(access.conversation.lastSeq, access.member.leftSeq ?? Number.MAX_SAFE_INTEGER);
  const target = Math.min(seq, max);
  const before = access.member;
  const after = await ctx.store.advanceWatermarks({
    conversationId: access.conversation.id,
    userId: actor,
    ...(read ? { readSeq: target } : { deliveredSeq: target }),
    now: ctx.clock.now(),
  });
  const receipt = toReceipt(after ?? before);
  if (after && (after.readSeq !== before.readSeq || after.deliveredSeq !== before.deliveredSeq)) {
    await publish(ctx, topics.conversation(access.conversation.id), { t: 'receipt', receipt });
    ctx.emitter.emit('receipt', receipt);
  }
  return receipt;
}

/**
 * Events in the member's windows, in ascending order. Walks the windows so a member who left and
 * rejoined never sees what happened while away.
 */
async function windowedEvents(
  ctx: EngineContext,
  access: Access,
  opts: { before?: number; after?: number; limit: number; timelineOnly: boolean },
): Promise<{ events: ConversationEvent[]; hasMore: boolean }> {
  const windows = windowsOf(access.member);
  const ascending = opts.after !== undefined;
  const ordered = ascending ? windows : [...windows].reverse();
  const found: ConversationEvent[] = [];
  const want = opts.limit + 1;
  for (const w of ordered) {
    if (found.length >= want) break;
    const batch = await ctx.store.events({
      conversationId: access.conversation.id,
      minSeq: w.joinSeq,
      ...(w.leftSeq !== null ? { maxSeq: w.leftSeq } : {}),
      ...(opts.after !== undefined ? { after: opts.after } : {}),
      ...(opts.before !== undefined ? { before: opts.before } : {}),
      limit: want - found.length,
      timelineOnly: opts.timelineOnly,
    });
    if (ascending) found.push(...batch);
    else found.unshift(...batch);
  }
  const hasMore = found.length > opts.limit;
  const page = ascending ? found.slice(0, opts.limit) : found.slice(found.length - Math.min(found.length, opts.limit));
  return { events: page, hasMore };
}

/** The position of a sync page: first page's time, effective since, reset flag, last conversation id. */
interface SyncPage {
  n: number;
  f: number;
  r: number;
  c: string;
}

/** Message events of a page as the reader saw them (former members: as of leftSeq). */
async function asSeenEvents(ctx: EngineContext, member: MemberRecord, conversationId: string, events: ConversationEvent[]): Promise<ConversationEvent[]> {
  if (!isFormer(member)) return events;
  const messages = events.flatMap((e) => (e.type === 'message' ? [e.message] : []));
  const asSeen = new Map((await messagesAsSeen(ctx.store, member, conversationId, messages)).map((m) => [m.seq, m]));
  return events.map((e) => (e.type === 'message' ? { ...e, message: asSeen.get(e.seq) ?? e.message } : e));
}

/** Reading: history, receipts, inbox, unread counts, sync and search. */
export const readHandlers: Handlers<
  'history' | 'markDelivered' | 'markRead' | 'receipts' | 'inbox' | 'unreadTotal' | 'sync' | 'search' | 'hidden'
> = {
  async history(ctx, actor, p) {
    const access = await requireMembership(ctx, p.conversationId, actor);
    const { events, hasMore } = await windowedEvents(ctx, access, {
      limit: p.limit ?? ctx.limits.defaultPageSize,
      timelineOnly: !p.all,
      ...(p.before !== undefined ? { before: p.before } : {}),
      ...(p.after !== undefined ? { after: p.after } : {}),
    });
    const hidden = new Set(await ctx.store.hiddenSeqs({ userId: actor, conversationId: p.conversationId }));
    const visible = await asSeenEvents(
      ctx,
      access.member,
      p.conversationId,
      events.filter((e) => {
        if (e.type === 'message') return !hidden.has(e.seq);
        // a mutation of a message the reader cannot see must not leak it
        if ('target' in e) return seesSeq(access.member, e.target) && !hidden.has(e.target);
        return true;
      }),
    );
    // the newest page (or `before`) gives up its oldest events, an `after` page its newest
    const bounded = withinBudget(visible, ctx.limits.maxReplyBytes, { from: p.after !== undefined ? 'start' : 'end' });
    return { events: bounded.items, hasMore: hasMore || bounded.cut };
  },
  async markDelivered(ctx, actor, p) {
    const access = await requireMembership(ctx, p.conversationId, actor);
    return moveWatermarks(ctx, access, actor, p.seq, false);
  },
  async markRead(ctx, actor, p) {
    const access = await requireMembership(ctx, p.conversationId, actor);
    return moveWatermarks(ctx, access, actor, p.seq, true);
  },
  async receipts(ctx, actor, p) {
    await requireActive(ctx, p.conversationId, actor);
    return (await ctx.store.receipts(p.conversationId)).map(toReceipt);
  },
  async inbox(ctx, actor, p) {
    const limit = p.limit ?? ctx.limits.defaultPageSize;
    const after = p.cursor === undefined ? undefined : decodeCursor(p.cursor, shape<{ a: number; c: string }>({ a: 'number', c: 'string' }));
    const rows = await ctx.store.inbox({ userId: actor, limit, ...(after ? { after: { lastActivityAt: after.a, conversationId: after.c } } : {}) });
    const entries = withinBudget(await toEntries(ctx, actor, rows), ctx.limits.maxReplyBytes);
    const last = rows[entries.items.length - 1];
    return {
      items: entries.items,
      nextCursor: (entries.cut || rows.length === limit) && last ? encodeCursor({ a: last.conversation.lastActivityAt, c: last.conversation.id }) : null,
    };
  },
  async unreadTotal(ctx, actor) {
    return ctx.store.unreadTotal({ userId: actor, now: ctx.clock.now() });
  },
  async sync(ctx, actor, p) {
    // later pages carry the first page's position, so every page of one sync answers the same question
    const page = p.page === undefined ? undefined : decodeCursor(p.page, shape<SyncPage>({ n: 'number', f: 'number', r: 'number', c: 'string' }));
    let start: Omit<SyncPage, 'c'>;
    if (page) start = page;
    else {
      const now = ctx.clock.now();
      const since = p.since === undefined ? undefined : decodeCursor(p.since, shape<{ t: number }>({ t: 'number' })).t;
      const reset = since === undefined || since < now - ctx.limits.syncMaxAgeMs;
      start = { n: now, f: reset ? 0 : since - ctx.limits.syncSkewMs, r: reset ? 1 : 0 };
    }
    const limit = ctx.limits.defaultPageSize;
    const [rows, contacts] = await Promise.all([
      ctx.store.changedMemberships({ userId: actor, since: start.f, limit, ...(page ? { afterConversationId: page.c } : {}) }),
      page ? Promise.resolve([]) : ctx.store.listContacts(actor),
    ]);
    const seen = await Promise.all(rows.map(async (r) => ({ ...r, conversation: await conversationAsSeen(ctx.store, r.conversation, r.member) })));
    const entries = withinBudget(await toEntries(ctx, actor, seen), ctx.limits.maxReplyBytes, { reservedBytes: jsonBytes(contacts) });
    const last = rows[entries.items.length - 1];
    const more = (entries.cut || rows.length === limit) && last !== undefined;
    return {
      entries: entries.items,
      contacts,
      cursor: encodeCursor({ t: start.n }),
      reset: start.r === 1,
      nextPage: more ? encodeCursor({ n: start.n, f: start.f, r: start.r, c: last.conversation.id } satisfies SyncPage) : null,
    };
  },
  async search(ctx, actor, p) {
    const limit = p.limit ?? ctx.limits.defaultPageSize;
    const before = p.cursor === undefined ? undefined : decodeCursor(p.cursor, shape<{ t: number; c: string; s: number }>({ t: 'number', c: 'string', s: 'number' }));
    if (p.conversationId !== undefined) await requireMembership(ctx, p.conversationId, actor);
    const hits = await ctx.store.search({
      userId: actor,
      query: p.query,
      limit,
      ...(p.conversationId !== undefined ? { conversationId: p.conversationId } : {}),
      ...(before ? { before: { createdAt: before.t, conversationId: before.c, seq: before.s } } : {}),
    });
    const members = new Map<string, MemberRecord | null>();
    for (const hit of hits) {
      if (!members.has(hit.conversationId)) members.set(hit.conversationId, await ctx.store.getMember(hit.conversationId, actor));
    }
    // former members see (and find) each message as it was when they left
    const seen = new Map<Message, Message>();
    for (const [conversationId, m] of members) {
      if (!isFormer(m)) continue;
      const mine = hits.filter((h) => h.conversationId === conversationId);
      const asSeen = await messagesAsSeen(ctx.store, m, conversationId, mine);
      mine.forEach((h, i) => seen.set(h, asSeen[i]!));
    }
    const shown = hits.map((hit) => {
      const m = members.get(hit.conversationId);
      if (!m || !seesSeq(m, hit.seq)) return null;
      const asSeen = seen.get(hit) ?? hit;
      if (asSeen.deletedAt !== null) return null;
      if (asSeen.text !== hit.text && !textMatches(asSeen.text, p.query)) return null;
      return asSeen;
    });
    // the cursor follows the store's hits, so a hit left out above never stalls paging
    const bounded = withinBudget(shown, ctx.limits.maxReplyBytes);
    const last = hits[bounded.items.length - 1];
    return {
      items: bounded.items.filter((h): h is Message => h !== null),
      nextCursor: (bounded.cut || hits.length === limit) && last ? encodeCursor({ t: last.createdAt, c: last.conversationId, s: last.seq }) : null,
    };
  },
  async hidden(ctx, actor, p) {
    await requireMembership(ctx, p.conversationId, actor);
    return ctx.store.hiddenSeqs({ userId: actor, conversationId: p.conversationId });
  },
};
