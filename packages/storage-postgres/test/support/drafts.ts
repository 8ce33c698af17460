import { randomUUID } from 'node:crypto';
import type { ChatStore, EventDraft } from '@parley/core';

/** A message draft with defaults. */
export function messageDraft(input: {
  conversationId: string;
  senderId: string;
  text?: string | null;
  clientId?: string | null;
  at?: number;
}): EventDraft {
  const at = input.at ?? 1_000;
  return {
    type: 'message',
    conversationId: input.conversationId,
    actorId: input.senderId,
    at,
    message: {
      conversationId: input.conversationId,
      id: randomUUID(),
      senderId: input.senderId,
      kind: 'text',
      text: input.text === undefined ? 'hello' : input.text,
      attachments: [],
      replyTo: null,
      mentions: [],
      reactions: {},
      clientId: input.clientId === undefined ? randomUUID() : input.clientId,
      call: null,
      metadata: {},
      pinned: false,
      createdAt: at,
      editedAt: null,
      deletedAt: null,
    },
  };
}

/** Create users and a conversation between them. */
export async function seedConversation(
  store: ChatStore,
  input: { kind?: 'direct' | 'group' | 'channel'; users: string[]; now?: number; id?: string },
): Promise<string> {
  const now = input.now ?? 100;
  for (const id of input.users) await store.upsertUser({ id, displayName: id.toUpperCase(), now });
  const kind = input.kind ?? 'group';
  const id = input.id ?? randomUUID();
  const { conversation } = await store.createConversation({
    id,
    kind,
    title: kind === 'direct' ? null : 'room',
    avatarUrl: null,
    createdBy: input.users[0]!,
    metadata: {},
    directPair: kind === 'direct' ? [...input.users].sort() : [],
    members: input.users.map((userId, i) => ({ userId, role: i === 0 && kind !== 'direct' ? 'owner' : 'member' })),
    now,
  });
  return conversation.id;
}
