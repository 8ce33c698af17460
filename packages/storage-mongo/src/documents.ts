import { visibleMessage } from '@parley/core';
import type { ConversationRecord, MemberRecord } from '@parley/core';
import type { Call, Contact, ConversationEvent, Message, User } from '@parley/protocol';
import type { CallDoc, ContactDoc, ConversationDoc, EventDoc, MemberDoc, MessageBody, UserDoc } from './collections.js';
import { eventId } from './ids.js';

/**
 * A deep copy of plain data without `undefined` object properties. The driver would store them as
 * `null`, which changes what readers get back (an absent optional field is not a null one).
 */
export function stripUndefined<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => stripUndefined(v)) as T;
  if (value === null || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    // defineProperty, not assignment: a JSON key named `__proto__` must stay an own property
    if (v !== undefined) Object.defineProperty(out, k, { value: stripUndefined(v), enumerable: true, writable: true, configurable: true });
  }
  return out as T;
}

function omit<T extends object, K extends string>(value: T, keys: readonly K[]): Omit<T, K> {
  const out = { ...value } as Record<string, unknown>;
  for (const k of keys) delete out[k];
  return out as Omit<T, K>;
}

/** The stored form of a message (its conversation and seq live on the event document). */
export function messageBody(message: Message | Omit<Message, 'seq'>): MessageBody {
  return stripUndefined(omit(message as Message, ['conversationId', 'seq']));
}

/** The event document for an event placed at its seq, with `ord` = messageCount after it. */
export function toEventDoc(event: ConversationEvent, ord: number): EventDoc {
  const { conversationId, seq, type, actorId, at } = event;
  const doc: EventDoc = { _id: eventId(conversationId, seq), conversationId, seq, type, actorId, at, ord, data: {}, rev: 0, mutSeq: 0 };
  const rest = omit(event as ConversationEvent & Record<string, unknown>, ['conversationId', 'seq', 'type', 'actorId', 'at', 'message', 'target']);
  doc.data = stripUndefined(rest as Record<string, unknown>);
  if (event.type === 'message') doc.message = messageBody(event.message);
  if ('target' in event) doc.target = event.target;
  return doc;
}

/** The message of a `message` event document as stored (deleted content not masked). */
export function storedMessage(doc: Pick<EventDoc, 'conversationId' | 'seq' | 'message'>): Message {
  if (!doc.message) throw new Error(`event ${doc.conversationId}/${doc.seq} is not a message`);
  return { ...doc.message, conversationId: doc.conversationId, seq: doc.seq };
}

/** The event as readers get it: `message` events carry the message masked if it was deleted. */
export function readEvent(doc: EventDoc): ConversationEvent {
  const event: Record<string, unknown> = {
    ...doc.data,
    type: doc.type,
    conversationId: doc.conversationId,
    seq: doc.seq,
    actorId: doc.actorId,
    at: doc.at,
  };
  if (doc.target !== undefined) event.target = doc.target;
  if (doc.type === 'message') event.message = visibleMessage(storedMessage(doc));
  return event as ConversationEvent;
}

/** The record of a conversation document. */
export function toConversation(doc: ConversationDoc): ConversationRecord {
  const conversation: ConversationRecord = omit(doc, ['_id', 'state', 'init']);
  if (conversation.permissions === null || conversation.permissions === undefined) delete conversation.permissions;
  return conversation;
}

/** The record of a member document. */
export function toMember(doc: MemberDoc): MemberRecord {
  const member: MemberRecord = omit(doc, ['_id', 'eventSeq', 'leftOrd']);
  if (member.leftView === null) delete member.leftView;
  return member;
}

/** Unread count of a member: messages after its read ordinal, up to its leaving for former members. */
export function unreadOf(conversation: Pick<ConversationRecord, 'messageCount'>, member: Pick<MemberDoc, 'leftSeq' | 'leftOrd' | 'readOrd'>): number {
  const upto = member.leftSeq === null ? conversation.messageCount : (member.leftOrd ?? 0);
  return Math.max(0, upto - member.readOrd);
}

/** The user of a user document. */
export function toUser(doc: UserDoc): User {
  return omit(doc, ['_id']);
}

/** The contact of a contact document. */
export function toContact(doc: ContactDoc): Contact {
  return omit(doc, ['_id']);
}

/** The call of a call document. */
export function toCall(doc: CallDoc): Call {
  return omit(doc, ['_id', 'eventSeq']);
}
