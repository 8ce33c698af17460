import type { EventsQuery, InboxQuery, SearchQuery } from '@parley/core';
import type { EventType } from '@parley/protocol';
import type { Document, Filter, Sort } from 'mongodb';
import type { EventDoc, MemberDoc } from './collections.js';

/**
 * Event types that change an earlier message (kept here so this package needs `@parley/protocol`
 * for types only).
 */
export const MUTATION_TYPES: readonly EventType[] = ['message.edited', 'message.deleted', 'message.reaction', 'message.pinned'];

/** How `search` matches text: a `$text` index (stemmed words) or a case-insensitive `$regex` substring. */
export type SearchMode = 'text' | 'regex';

/** A string matched literally inside a regular expression. */
export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A case-insensitive substring match. */
export function containsFilter(text: string): { $regex: string; $options: string } {
  return { $regex: escapeRegex(text), $options: 'i' };
}

/** A planned history read: the filter, sort and limit to send, and whether to reverse the result. */
export interface EventsPlan {
  filter: Filter<EventDoc>;
  sort: Sort;
  limit: number;
  reverse: boolean;
}

/**
 * The query for {@link EventsQuery}, reading no further than `lastSeq` (the conversation's applied
 * watermark), or null when the bounds leave nothing. Keyset on (conversationId, seq), never an offset.
 */
export function eventsPlan(query: EventsQuery, lastSeq: number): EventsPlan | null {
  const lo = Math.max(query.after !== undefined ? query.after + 1 : 1, query.minSeq ?? 1, 1);
  const hi = Math.min(query.before !== undefined ? query.before - 1 : lastSeq, query.maxSeq ?? lastSeq, lastSeq);
  if (lo > hi || query.limit <= 0) return null;
  const filter: Filter<EventDoc> = { conversationId: query.conversationId, seq: { $gte: lo, $lte: hi } };
  if (query.timelineOnly) filter.type = { $nin: [...MUTATION_TYPES] };
  const ascending = query.after !== undefined;
  return { filter, sort: { seq: ascending ? 1 : -1 }, limit: query.limit, reverse: !ascending };
}

/** The part of a member that bounds what it may find: from its first join to its leaving. */
export type SearchMembership = Pick<MemberDoc, 'conversationId' | 'joinSeq' | 'leftSeq' | 'pastWindows'>;

/**
 * The seq range a member may search in a conversation: from the first joinSeq, up to leftSeq for
 * former members, never past the conversation's applied `lastSeq`. Null when empty.
 */
export function searchWindow(member: SearchMembership, lastSeq: number): { conversationId: string; from: number; to: number } | null {
  const from = Math.min(member.joinSeq, ...member.pastWindows.map((w) => w.joinSeq));
  const to = Math.min(member.leftSeq ?? lastSeq, lastSeq);
  return from <= to ? { conversationId: member.conversationId, from, to } : null;
}

/** The filter of a message search over the given windows. */
export function searchFilter(input: {
  windows: Array<{ conversationId: string; from: number; to: number }>;
  query: string;
  mode: SearchMode;
  before?: SearchQuery['before'];
}): Filter<EventDoc> {
  const and: Filter<EventDoc>[] = [
    { $or: input.windows.map((w) => ({ conversationId: w.conversationId, seq: { $gte: w.from, $lte: w.to } })) },
  ];
  const b = input.before;
  if (b) {
    and.push({
      $or: [
        { 'message.createdAt': { $lt: b.createdAt } },
        { 'message.createdAt': b.createdAt, conversationId: { $lt: b.conversationId } },
        { 'message.createdAt': b.createdAt, conversationId: b.conversationId, seq: { $lt: b.seq } },
      ],
    });
  }
  const filter: Filter<EventDoc> = { type: 'message', 'message.deletedAt': null, $and: and };
  if (input.mode === 'text') filter.$text = { $search: input.query };
  else filter['message.text'] = containsFilter(input.query);
  return filter;
}

/** Newest first, as search results are ordered. */
export const SEARCH_SORT: Sort = { 'message.createdAt': -1, conversationId: -1, seq: -1 };

/**
 * The aggregation of an inbox page: the user's active memberships joined with their (ready)
 * conversations, ordered by (lastActivityAt desc, id desc) after the keyset cursor. Its cost follows
 * the user's memberships, never a conversation's history.
 */
export function inboxPipeline(input: InboxQuery & { conversations: string }): Document[] {
  const match: Document = { 'c.state': 'ready' };
  if (input.after) {
    match.$or = [
      { 'c.lastActivityAt': { $lt: input.after.lastActivityAt } },
      { 'c.lastActivityAt': input.after.lastActivityAt, 'c.id': { $lt: input.after.conversationId } },
    ];
  }
  return [
    { $match: { userId: input.userId, leftSeq: null } },
    { $lookup: { from: input.conversations, localField: 'conversationId', foreignField: 'id', as: 'c' } },
    { $unwind: '$c' },
    { $match: match },
    { $sort: { 'c.lastActivityAt': -1, 'c.id': -1 } },
    { $limit: input.limit },
  ];
}

/** All of a user's memberships (active and former) joined with their ready conversations. */
export function membershipsPipeline(input: { userId: string; activeOnly: boolean; conversations: string }): Document[] {
  return [
    { $match: input.activeOnly ? { userId: input.userId, leftSeq: null } : { userId: input.userId } },
    { $lookup: { from: input.conversations, localField: 'conversationId', foreignField: 'id', as: 'c' } },
    { $unwind: '$c' },
    { $match: { 'c.state': 'ready' } },
  ];
}

/**
 * A page of a user's memberships (active and former) whose member document or conversation changed
 * at or after `since`, by conversation id after the keyset (index `user_conversation`).
 */
export function changedPipeline(input: { userId: string; since: number; afterConversationId?: string; limit?: number; conversations: string }): Document[] {
  const own: Document = { userId: input.userId };
  if (input.afterConversationId !== undefined) own.conversationId = { $gt: input.afterConversationId };
  return [
    { $match: own },
    { $sort: { conversationId: 1 } },
    { $lookup: { from: input.conversations, localField: 'conversationId', foreignField: 'id', as: 'c' } },
    { $unwind: '$c' },
    { $match: { 'c.state': 'ready', $or: [{ 'c.updatedAt': { $gte: input.since } }, { updatedAt: { $gte: input.since } }] } },
    ...(input.limit !== undefined ? [{ $limit: input.limit }] : []),
  ];
}
