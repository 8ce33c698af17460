import { CHANNEL_MENTION, type Attachment, type Message, type MessageKind, type Permission } from '@parley/protocol';
import { commit, publicConversation, publish, type EngineContext } from '../context.js';
import { ChatError, errors } from '../errors.js';
import { topics } from '../pubsub.js';
import { isRefusal } from '../preconditions.js';
import { fileFlag, screen } from '../blocklist.js';
import { actingMessage, actorHolds, audited, authorize, memberHolds, permissionPrecondition, resolveActor } from '../authorize.js';
import { requireActive, requireMembership, requireMessage, requireNotDeleted } from '../rules.js';
import type { Handlers } from './types.js';

const MIME_PREFIX: Partial<Record<MessageKind, string>> = { image: 'image/', video: 'video/', audio: 'audio/' };

/** Validate a message body against the engine's limits; throws INVALID. */
export function checkBody(ctx: EngineContext, kind: MessageKind, text: string | null, attachments: Attachment[]): void {
  if (text !== null && text.length > ctx.limits.maxTextLength) {
    throw errors.invalid(`text is longer than ${ctx.limits.maxTextLength} characters`);
  }
  if (attachments.length > ctx.limits.maxAttachments) throw errors.invalid(`at most ${ctx.limits.maxAttachments} attachments`);
  for (const a of attachments) {
    if (a.size > ctx.limits.maxAttachmentBytes) throw errors.invalid(`attachment larger than ${ctx.limits.maxAttachmentBytes} bytes`);
    const prefix = MIME_PREFIX[kind];
    if (prefix && !a.mime.startsWith(prefix)) throw errors.invalid(`a ${kind} message needs ${prefix}* attachments, got ${a.mime}`);
  }
  if (kind === 'text') {
    if (attachments.length > 0) throw errors.invalid('text messages have no attachments; use kind image, video, audio or file');
    if (text === null || text.trim().length === 0) throw errors.invalid('text messages need non-empty text');
  } else if (kind !== 'call' && kind !== 'system' && attachments.length === 0) {
    throw errors.invalid(`${kind} messages need at least one attachment`);
  }
}

async function messageAfter(ctx: EngineContext, conversationId: string, seq: number): Promise<Message> {
  return (await ctx.store.getMessage(conversationId, seq))!;
}

const LINK = /\bhttps?:\/\/|\bwww\.[^\s.]+\.[a-z]/i;

/** The permissions a message needs: `send`, and `upload` / `sendLinks` / `mentionChannel` for what it carries. */
export function sendPermissions(message: Pick<Message, 'text' | 'attachments' | 'mentions'>): Permission[] {
  const needed: Permission[] = ['send'];
  if (message.attachments.length > 0) needed.push('upload');
  if (message.text !== null && LINK.test(message.text)) needed.push('sendLinks');
  if (message.mentions.includes(CHANNEL_MENTION)) needed.push('mentionChannel');
  return needed;
}

function withinWindow(sentAt: number, now: number, window: number | null): boolean {
  return window === null || now - sentAt <= window;
}

/** Sending and changing messages. */
export const messageHandlers: Handlers<'send' | 'edit' | 'delete' | 'react' | 'pin'> = {
  async send(ctx, actor, p) {
    // One store round trip: membership, blocks and the reply target are preconditions of the
    // append, checked by the store under the lock that orders the log. The hook alone needs a read.
    const kind = p.kind ?? (p.attachments && p.attachments.length > 0 ? 'file' : 'text');
    let text = p.text ?? null;
    let attachments = p.attachments ?? [];
    let metadata = p.metadata ?? {};
    checkBody(ctx, kind, text, attachments);
    const now = ctx.clock.now();
    const message: Omit<Message, 'seq'> = {
      conversationId: p.conversationId,
      id: ctx.ids.next(),
      senderId: actor,
      kind,
      text,
      attachments,
      replyTo: p.replyTo ?? null,
      mentions: [...new Set(p.mentions ?? [])],
      reactions: {},
      clientId: p.clientId,
      call: null,
      metadata,
      pinned: false,
      createdAt: now,
      editedAt: null,
      deletedAt: null,
    };
    if (ctx.hooks.beforeSend) {
      const access = await requireActive(ctx, p.conversationId, actor);
      const verdict = await ctx.hooks.beforeSend({ userId: actor, conversation: publicConversation(access.conversation), message });
      if (verdict && 'reject' in verdict) throw new ChatError('FORBIDDEN', `message rejected: ${verdict.reject}`);
      if (verdict) {
        text = verdict.text ?? text;
        attachments = verdict.attachments ?? attachments;
        metadata = verdict.metadata ?? metadata;
        checkBody(ctx, kind, text, attachments);
        Object.assign(message, { text, attachments, metadata });
      }
    }
    const flagged = await screen(ctx, actor, p.conversationId, message.text);
    const result = await commit(ctx, {
      draft: { type: 'message', conversationId: p.conversationId, actorId: actor, at: now, message },
      ...permissionPrecondition(ctx, actor, sendPermissions(message)),
      notBlocked: true,
      moderated: 'message',
    });
    if (result.event.type !== 'message') throw new ChatError('INTERNAL', 'store returned a non-message event for a send');
    if (flagged !== null && !result.duplicate) await fileFlag(ctx, result.event.message, flagged);
    return result.event.message;
  },
  async edit(ctx, actor, p) {
    const access = await requireActive(ctx, p.conversationId, actor);
    const message = await requireMessage(ctx, access, p.seq);
    const needed: Permission = message.senderId === actor ? 'editOwn' : 'editAny';
    if (!memberHolds(ctx, access, [needed])) throw errors.forbidden(needed === 'editOwn' ? 'your role cannot edit messages' : 'you can only edit your own messages');
    requireNotDeleted(message);
    if (message.kind === 'call' || message.kind === 'system') throw errors.forbidden(`${message.kind} messages cannot be edited`);
    const now = ctx.clock.now();
    if (!withinWindow(message.createdAt, now, ctx.limits.editWindowMs)) throw errors.forbidden('the edit window has passed');
    checkBody(ctx, message.kind, p.text, message.attachments);
    if (message.text === p.text) return message;
    const flagged = await screen(ctx, actor, p.conversationId, p.text);
    await commit(ctx, {
      draft: { type: 'message.edited', conversationId: p.conversationId, actorId: actor, at: now, target: p.seq, text: p.text },
      ...permissionPrecondition(ctx, actor, [needed]),
      targetNotDeleted: true,
      moderated: 'post',
    });
    const edited = await messageAfter(ctx, p.conversationId, p.seq);
    if (flagged !== null) await fileFlag(ctx, edited, flagged);
    return edited;
  },
  async delete(ctx, actor, p) {
    if (p.scope === 'me') {
      const access = await requireMembership(ctx, p.conversationId, actor);
      await requireMessage(ctx, access, p.seq);
      await ctx.store.hide({ userId: actor, conversationId: p.conversationId, seq: p.seq, now: ctx.clock.now() });
      await publish(ctx, topics.user(actor), { t: 'push', userId: actor, push: { ev: 'hidden', conversationId: p.conversationId, seq: p.seq } });
      return { conversationId: p.conversationId, seq: p.seq, scope: p.scope };
    }
    const who = await resolveActor(ctx, p.conversationId, actor);
    const message = await actingMessage(ctx, who, p.seq);
    const now = ctx.clock.now();
    const own = message.senderId === actor;
    // deleteAny also lifts the delete window on one's own messages
    const moderator = actorHolds(ctx, who, ['deleteAny']);
    if (!moderator && !(own && actorHolds(ctx, who, ['deleteOwn']))) {
      throw errors.forbidden('only the sender or a moderator can delete this message for everyone');
    }
    if (own && !moderator && !withinWindow(message.createdAt, now, ctx.limits.deleteWindowMs)) {
      throw errors.forbidden('the delete window has passed');
    }
    // the grant the delete relied on must still be held at commit
    const auth = authorize(ctx, who, actor, [moderator ? 'deleteAny' : 'deleteOwn'], { op: 'delete' }, 'you cannot delete this message');
    if (message.deletedAt === null) {
      try {
        await commit(ctx, {
          draft: { type: 'message.deleted', conversationId: p.conversationId, actorId: actor, at: now, target: p.seq },
          ...auth.pre,
          targetNotDeleted: true,
        });
        audited(ctx, auth);
      } catch (error) {
        // deleted meanwhile by someone else: the outcome the caller asked for
        if (!isRefusal(error, 'target-deleted')) throw error;
      }
    }
    return { conversationId: p.conversationId, seq: p.seq, scope: p.scope };
  },
  async react(ctx, actor, p) {
    const access = await requireActive(ctx, p.conversationId, actor);
    if (!memberHolds(ctx, access, ['react'])) throw errors.forbidden('your role cannot react');
    const message = await requireMessage(ctx, access, p.seq);
    requireNotDeleted(message);
    const added = !p.remove;
    if ((message.reactions[p.emoji] ?? []).includes(actor) === added) return message;
    await commit(ctx, {
      draft: { type: 'message.reaction', conversationId: p.conversationId, actorId: actor, at: ctx.clock.now(), target: p.seq, emoji: p.emoji, added },
      ...permissionPrecondition(ctx, actor, ['react']),
      moderated: 'post',
      targetNotDeleted: true,
    });
    return messageAfter(ctx, p.conversationId, p.seq);
  },
  async pin(ctx, actor, p) {
    const access = await requireActive(ctx, p.conversationId, actor);
    if (!memberHolds(ctx, access, ['pin'])) throw errors.forbidden('your role cannot pin messages');
    const message = await requireMessage(ctx, access, p.seq);
    requireNotDeleted(message);
    if (message.pinned === p.pinned) return message;
    await commit(ctx, {
      draft: { type: 'message.pinned', conversationId: p.conversationId, actorId: actor, at: ctx.clock.now(), target: p.seq, pinned: p.pinned },
      ...permissionPrecondition(ctx, actor, ['pin']),
      targetNotDeleted: true,
    });
    return messageAfter(ctx, p.conversationId, p.seq);
  },
};
