/** Draft builders shared by the store tests. */
import type { EventDraft } from '@parley/core';
import type { Message } from '@parley/protocol';

/** A `message` draft as the engine would pass it. */
export function messageDraft(input: {
  conversationId: string;
  senderId: string;
  text?: string | null;
  clientId?: string | null;
  at: number;
  extra?: Partial<Omit<Message, 'seq'>>;
}): EventDraft {
  return {
    type: 'message',
    conversationId: input.conversationId,
    actorId: input.senderId,
    at: input.at,
    message: {
      conversationId: input.conversationId,
      id: `m-${input.conversationId}-${input.senderId}-${input.at}`,
      senderId: input.senderId,
      kind: 'text',
      text: input.text === undefined ? `hello at ${input.at}` : input.text,
      attachments: [],
      replyTo: null,
      mentions: [],
      reactions: {},
      clientId: input.clientId === undefined ? null : input.clientId,
      call: null,
      metadata: {},
      pinned: false,
      createdAt: input.at,
      editedAt: null,
      deletedAt: null,
      ...input.extra,
    },
  } as EventDraft;
}

/** Input of `createConversation` for a group of users (first one owner). */
export function groupInput(id: string, users: string[], now: number) {
  return {
    id,
    kind: 'group' as const,
    title: `group ${id}`,
    avatarUrl: null,
    createdBy: users[0]!,
    metadata: {},
    directPair: [],
    members: users.map((userId, i) => ({ userId, role: i === 0 ? ('owner' as const) : ('member' as const) })),
    now,
  };
}

/** Input of `createConversation` for a direct conversation. */
export function directInput(id: string, a: string, b: string, now: number) {
  const pair = [a, b].sort();
  return {
    id,
    kind: 'direct' as const,
    title: null,
    avatarUrl: null,
    createdBy: a,
    metadata: {},
    directPair: pair,
    members: pair.map((userId) => ({ userId, role: 'member' as const })),
    now,
  };
}
