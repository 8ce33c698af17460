import type { ConversationEvent, Message } from '@parley/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readEvent, storedMessage, stripUndefined, toConversation, toEventDoc, toMember, unreadOf } from '../src/documents.js';
import { eventId } from '../src/ids.js';

const message = (over: Partial<Message> = {}): Message => ({
  conversationId: 'c1',
  seq: 7,
  id: 'm7',
  senderId: 'ann',
  kind: 'image',
  text: 'look',
  attachments: [{ url: 'https://example.invalid/a.png', mime: 'image/png', size: 10, width: 4, height: 3 }],
  replyTo: 2,
  mentions: ['bob'],
  reactions: { '👍': ['bob', 'cy'] },
  clientId: 'k1',
  call: null,
  metadata: { a: { b: [1, 2] } },
  pinned: true,
  createdAt: 100,
  editedAt: 110,
  deletedAt: null,
  ...over,
});

describe('document mapping', () => {
  it('round-trips a message event through its document', () => {
    const event: ConversationEvent = { type: 'message', conversationId: 'c1', seq: 7, actorId: 'ann', at: 100, message: message() };
    const doc = toEventDoc(event, 5);
    expect(doc._id.equals(eventId('c1', 7))).toBe(true);
    expect(doc).toMatchObject({ conversationId: 'c1', seq: 7, type: 'message', ord: 5, rev: 0, mutSeq: 0 });
    expect(doc.message).not.toHaveProperty('seq');
    expect(doc.message).not.toHaveProperty('conversationId');
    expect(readEvent(doc)).toEqual(event);
    expect(storedMessage(doc)).toEqual(event.message);
  });

  it('masks a deleted message on read but keeps its content stored', () => {
    const deleted = message({ deletedAt: 200 });
    const doc = toEventDoc({ type: 'message', conversationId: 'c1', seq: 7, actorId: 'ann', at: 100, message: deleted }, 1);
    const read = readEvent(doc);
    expect(read.type === 'message' && read.message).toMatchObject({ text: null, attachments: [], reactions: {}, metadata: {}, mentions: [], pinned: false, deletedAt: 200, id: 'm7' });
    expect(storedMessage(doc)).toMatchObject({ text: 'look', reactions: { '👍': ['bob', 'cy'] } });
  });

  it('round-trips every other event type, with mutation targets at the top level', () => {
    const events: ConversationEvent[] = [
      { type: 'message.edited', conversationId: 'c', seq: 3, actorId: 'a', at: 1, target: 2, text: 'x' },
      { type: 'message.reaction', conversationId: 'c', seq: 4, actorId: 'a', at: 1, target: 2, emoji: '🎉', added: false },
      { type: 'member.left', conversationId: 'c', seq: 5, actorId: 'a', at: 1, userId: 'b', removed: true },
      { type: 'conversation.updated', conversationId: 'c', seq: 6, actorId: 'a', at: 1, changes: { title: null, metadata: { k: 1 } } },
      { type: 'conversation.created', conversationId: 'c', seq: 1, actorId: 'a', at: 1, kind: 'group', title: 't', members: [{ userId: 'a', role: 'owner' }] },
    ];
    for (const e of events) {
      const doc = toEventDoc(e, 0);
      expect(readEvent(doc)).toEqual(e);
      expect(doc.target).toBe('target' in e ? e.target : undefined);
    }
  });

  it('drops undefined properties (the driver would store them as null)', () => {
    const e = { type: 'conversation.updated', conversationId: 'c', seq: 2, actorId: 'a', at: 1, changes: { title: undefined, avatarUrl: 'u' } } as ConversationEvent;
    expect(toEventDoc(e, 0).data).toEqual({ changes: { avatarUrl: 'u' } });
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(stripUndefined(v)).toEqual(v);
      }),
    );
  });

  it('strips internal fields from conversation and member documents and computes unread', () => {
    const member = { _id: eventId('x', 1), conversationId: 'c', userId: 'u', role: 'member' as const, joinSeq: 1, leftSeq: 9, deliveredSeq: 5, readSeq: 5, readOrd: 2, mutedUntil: null, joinedAt: 1, pastWindows: [], updatedAt: 3, eventSeq: 9, leftOrd: 6 };
    expect(Object.keys(toMember(member)).sort()).toEqual(['conversationId', 'deliveredSeq', 'joinSeq', 'joinedAt', 'leftSeq', 'mutedUntil', 'pastWindows', 'readOrd', 'readSeq', 'role', 'updatedAt', 'userId']);
    expect(unreadOf({ messageCount: 40 }, member)).toBe(4);
    expect(unreadOf({ messageCount: 40 }, { ...member, leftSeq: null, leftOrd: null })).toBe(38);
    expect(unreadOf({ messageCount: 1 }, { ...member, leftSeq: null, readOrd: 3 })).toBe(0);
    const conv = toConversation({ _id: eventId('x', 2), state: 'ready', init: [], id: 'c', kind: 'group', title: null, avatarUrl: null, createdBy: 'u', createdAt: 1, lastSeq: 1, messageCount: 0, lastActivityAt: 1, lastMessage: null, memberCount: 1, directPair: [], metadata: {}, messageTtlSeconds: null, updatedAt: 1 });
    expect(conv).not.toHaveProperty('state');
    expect(conv).not.toHaveProperty('init');
    expect(conv).not.toHaveProperty('_id');
  });
});
