import { appendNeeds } from '@parley/core';
import type { AppendInput, AppendState } from '@parley/core';
import type { ConversationDoc } from './collections.js';
import type { StoreContext } from './context.js';
import { storedMessage, toConversation, toMember } from './documents.js';
import { eventId, memberId } from './ids.js';
import { blockedEitherWay } from './users.js';
import { readRestrictions } from './restrictions.js';

/**
 * Read what core's `appendNeeds(input)` names, for the conversation as of `conv.lastSeq`: the
 * member documents, the message as stored (not masked; null past `lastSeq`), the number of active
 * owners, the block state of a direct pair. The reads run in parallel.
 *
 * Every part that the log changes (members, the target message, `memberCount`) is written by the
 * projection of an event before `lastSeq` moves past it, and an event after `lastSeq` can only be
 * inserted at `lastSeq + 1`: so when the caller's insert at `lastSeq + 1` succeeds, no event after
 * `lastSeq` ever existed and this is the state the event commits on. If another event took that
 * seq, the insert fails and the caller reads again. Blocks are not in the log (see `appendEvent`).
 */
export async function readAppendState(ctx: StoreContext, conv: ConversationDoc, input: AppendInput): Promise<AppendState> {
  const needs = appendNeeds(input);
  const { members, events } = ctx.cols;
  const target = needs.message;
  const pair = conv.kind === 'direct' && conv.directPair.length === 2 ? conv.directPair : null;
  const [memberDocs, messageDoc, owners, blocked, restrictions] = await Promise.all([
    needs.members.length === 0 ? [] : members.find({ _id: { $in: needs.members.map((u) => memberId(conv.id, u)) } }).toArray(),
    target === undefined || target > conv.lastSeq ? null : events.findOne({ _id: eventId(conv.id, target), type: 'message' }),
    needs.owners ? members.countDocuments({ conversationId: conv.id, leftSeq: null, role: 'owner' }) : undefined,
    needs.blocks && pair ? blockedEitherWay(ctx, pair[0]!, pair[1]!) : undefined,
    needs.restrictions ? readRestrictions(ctx, conv.id, needs.members) : undefined,
  ]);
  return {
    conversation: toConversation(conv),
    members: new Map(memberDocs.map((d) => [d.userId, toMember(d)])),
    ...(target !== undefined ? { message: messageDoc ? storedMessage(messageDoc) : null } : {}),
    ...(owners !== undefined ? { owners } : {}),
    ...(blocked !== undefined ? { blocked } : {}),
    ...(restrictions !== undefined ? { restrictions } : {}),
  };
}
