import { createHash } from 'node:crypto';
import { ObjectId } from 'mongodb';

/**
 * A deterministic ObjectId for a key: the first 12 bytes of SHA-256 over the parts joined by NUL.
 *
 * Every document whose identity is a key (an event is (conversationId, seq), a member is
 * (conversationId, userId), a direct pair is its two user ids) gets its `_id` from that key. The
 * `_id` index is unique on every MongoDB deployment and on every wire-compatible server, so a
 * second insert of the same key fails with a duplicate-key error whether or not the server
 * enforces secondary unique indexes. String `_id`s would say the same thing more readably, but
 * some servers only accept ObjectId `_id`s; this form runs everywhere.
 */
export function keyId(kind: string, ...parts: Array<string | number>): ObjectId {
  const digest = createHash('sha256')
    .update([kind, ...parts.map(String)].join('\u0000'))
    .digest();
  return new ObjectId(digest.subarray(0, 12));
}

/** `_id` of the event at `seq` in a conversation. */
export const eventId = (conversationId: string, seq: number): ObjectId => keyId('event', conversationId, seq);
/** `_id` of a conversation document. */
export const conversationId = (id: string): ObjectId => keyId('conversation', id);
/** `_id` of a member document. */
export const memberId = (conversationIdValue: string, userId: string): ObjectId => keyId('member', conversationIdValue, userId);
/** `_id` of the claim on a direct pair (sorted ids). */
export const directId = (pair: readonly string[]): ObjectId => keyId('direct', ...pair);
/** `_id` of a user document. */
export const userId = (id: string): ObjectId => keyId('user', id);
/** `_id` of a contact document. */
export const contactId = (ownerId: string, contactUserId: string): ObjectId => keyId('contact', ownerId, contactUserId);
/** `_id` of a delete-for-me mark. */
export const hiddenId = (user: string, conversationIdValue: string, seq: number): ObjectId => keyId('hidden', user, conversationIdValue, seq);
/** `_id` of a call document. */
export const callId = (id: string): ObjectId => keyId('call', id);
