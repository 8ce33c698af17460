import { createHash } from 'node:crypto';
import { previewOf } from '@parley/core';
import type { Message } from '@parley/protocol';
import { ObjectId } from 'mongodb';

/**
 * `_id` of the event at `seq`, as `@parley/storage-mongo` derives it (`ids.ts`: the first 12 bytes
 * of SHA-256 over `event`, conversationId, seq joined by NUL). The loader checks it against the
 * store's own reads after loading.
 */
export function eventId(conversationId: string, seq: number): ObjectId {
  const digest = createHash('sha256').update(['event', conversationId, String(seq)].join('\u0000')).digest();
  return new ObjectId(digest.subarray(0, 12));
}

/** A uuid-formatted string from 32 hex digits. */
const uuid = (hex: string) => `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
const md5 = (text: string) => createHash('md5').update(text).digest('hex');

/** One loaded message of W1: conversation, position (1..n), time, sender and text. */
export interface LoadedMessage {
  conversationId: string;
  convIdx: number;
  pos: number;
  at: number;
  senderId: string;
  text: string;
}

/** The message of a loaded row, as `send` would have made it (UUIDv7 id from its time, a client id). */
export function messageOf(m: LoadedMessage): Message {
  const h = md5(`${m.convIdx}:${m.pos}`);
  return {
    conversationId: m.conversationId,
    seq: m.pos + 1,
    id: uuid(`${m.at.toString(16).padStart(12, '0')}7${h.slice(0, 3)}8${h.slice(3, 18)}`),
    senderId: m.senderId,
    kind: 'text',
    text: m.text,
    attachments: [],
    replyTo: null,
    mentions: [],
    reactions: {},
    clientId: uuid(md5(`client${m.convIdx}:${m.pos}`)),
    call: null,
    metadata: {},
    pinned: false,
    createdAt: m.at,
    editedAt: null,
    deletedAt: null,
  };
}

/**
 * The event document of a message, shaped as the store's `toEventDoc` writes it: keys in the same
 * order, `ord` = the message ordinal, `data` empty, the message without its conversationId and seq.
 */
export function messageEventDoc(m: LoadedMessage): Record<string, unknown> {
  const { conversationId: _c, seq: _s, ...body } = messageOf(m);
  return {
    _id: eventId(m.conversationId, m.pos + 1),
    conversationId: m.conversationId,
    seq: m.pos + 1,
    type: 'message',
    actorId: m.senderId,
    at: m.at,
    ord: m.pos,
    data: {},
    rev: 0,
    mutSeq: 0,
    message: body,
  };
}

/** The preview a conversation holds of its last message. */
export const previewOfLoaded = (m: LoadedMessage) => previewOf(messageOf(m));
