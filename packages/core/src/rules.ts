import { erasureOf } from './lifecycle/erase.js';
import type { Message, Role } from '@parley/protocol';
import { seesSeq } from './apply.js';
import type { EngineContext } from './context.js';
import { ChatError, errors } from './errors.js';
import type { ConversationRecord, MemberRecord } from './store.js';

/** A conversation and the acting user's membership row (active or former). */
export interface Access {
  conversation: ConversationRecord;
  member: MemberRecord;
}

/**
 * The conversation and the user's membership, active or former. Anyone who never was a member
 * gets the same error as for a conversation that does not exist.
 */
export async function requireMembership(ctx: EngineContext, conversationId: string, userId: string): Promise<Access> {
  const [conversation, member] = await Promise.all([
    ctx.store.getConversation(conversationId),
    ctx.store.getMember(conversationId, userId),
  ]);
  if (!conversation || !member) throw errors.noConversation();
  return { conversation, member };
}

/** Like {@link requireMembership}, and the membership must be current. */
export async function requireActive(ctx: EngineContext, conversationId: string, userId: string): Promise<Access> {
  const access = await requireMembership(ctx, conversationId, userId);
  if (access.member.leftSeq !== null) throw errors.forbidden('you are no longer a member of this conversation');
  return access;
}

/** A message the member may see; invisible and missing messages get the same error. */
export async function requireMessage(ctx: EngineContext, access: Access, seq: number): Promise<Message> {
  if (!seesSeq(access.member, seq) || seq > access.conversation.lastSeq) throw errors.noMessage();
  const message = await ctx.store.getMessage(access.conversation.id, seq);
  if (!message) throw errors.noMessage();
  return message;
}

/** The message must not be deleted for everyone. */
export function requireNotDeleted(message: Message): void {
  if (message.deletedAt !== null) throw new ChatError('CONFLICT', 'the message was deleted');
}

/** For direct conversations: neither user has blocked the other. */
export async function requireNotBlocked(ctx: EngineContext, conversation: ConversationRecord, userId: string): Promise<void> {
  if (conversation.kind !== 'direct') return;
  const peer = conversation.directPair.find((id) => id !== userId);
  if (peer !== undefined && (await ctx.store.isBlockedEitherWay(userId, peer))) {
    throw errors.forbidden('you cannot message this user');
  }
}

/** The user must exist. */
export async function requireUser(ctx: EngineContext, userId: string, who = 'user') {
  const [user] = await ctx.store.getUsers([userId]);
  if (!user || erasureOf(user)) throw errors.notFound(`${who} ${JSON.stringify(userId)} not found`);
  return user;
}
