import type { Db, IndexDescription } from 'mongodb';
import { DEFAULT_PREFIX } from './collections.js';

/** Options of {@link ensureIndexes}. */
export interface EnsureIndexesOptions {
  /** Prefix of the collection names; must match the store's. Default `parley_`. */
  collectionPrefix?: string;
  /** Create the `$text` index used by `search: 'text'`. Default true. */
  textIndex?: boolean;
  /** Stemming language of the text index (`none` for no stemming or stop words). Default `english`. */
  textLanguage?: string;
}

/**
 * Every index the store relies on, by collection (without prefix). Each is named, so running
 * {@link ensureIndexes} again finds them in place. Every key of the per-conversation collections
 * starts with `conversationId`, so they stay valid when those collections are sharded on it.
 */
export function indexSpecs({ textIndex = true, textLanguage = 'english' }: { textIndex?: boolean; textLanguage?: string } = {}): Record<string, IndexDescription[]> {
  const messageOnly = { type: 'message' };
  return {
    events: [
      // The log: one event per seq; history and sync read ranges of it.
      { name: 'conversation_seq', key: { conversationId: 1, seq: 1 }, unique: true },
      // Exactly-once send.
      {
        name: 'conversation_sender_client',
        key: { conversationId: 1, 'message.senderId': 1, 'message.clientId': 1 },
        unique: true,
        partialFilterExpression: { type: 'message', 'message.clientId': { $type: 'string' } },
      },
      // Search without $text and message expiry: newest messages of a conversation.
      { name: 'conversation_created', key: { conversationId: 1, 'message.createdAt': -1, seq: -1 }, partialFilterExpression: messageOnly },
      // Purge of deleted content.
      {
        name: 'deleted_at',
        key: { 'message.deletedAt': 1 },
        partialFilterExpression: { type: 'message', 'message.deletedAt': { $type: 'number' } },
      },
      // Mutations of a page of messages, for former members' views (see read-views.ts).
      { name: 'conversation_target_seq', key: { conversationId: 1, target: 1, seq: 1 }, partialFilterExpression: { target: { $type: 'number' } } },
      // Edits of one message (blanked by purge).
      { name: 'conversation_target', key: { conversationId: 1, target: 1 }, partialFilterExpression: { type: 'message.edited' } },
      // Full-text search. Not prefixed by conversationId: a compound text index would demand an
      // equality on the prefix, and search spans all of a user's conversations.
      ...(textIndex
        ? [{ name: 'message_text', key: { 'message.text': 'text' }, default_language: textLanguage, language_override: 'textLanguage' } as IndexDescription]
        : []),
    ],
    conversations: [
      { name: 'id', key: { id: 1 }, unique: true },
      { name: 'kind_id', key: { kind: 1, id: 1 } },
      { name: 'ttl_conversations', key: { messageTtlSeconds: 1 }, partialFilterExpression: { messageTtlSeconds: { $type: 'number' } } },
    ],
    members: [
      { name: 'conversation_user', key: { conversationId: 1, userId: 1 }, unique: true },
      { name: 'conversation_active', key: { conversationId: 1, leftSeq: 1, userId: 1 } },
      // Inbox, unread totals and sync: a user's memberships.
      { name: 'user_active', key: { userId: 1, leftSeq: 1 } },
      { name: 'user_updated', key: { userId: 1, updatedAt: 1 } },
      // Sync pages: a user's memberships by conversation id.
      { name: 'user_conversation', key: { userId: 1, conversationId: 1 } },
    ],
    users: [
      { name: 'id', key: { id: 1 }, unique: true },
      { name: 'display_name', key: { displayName: 1, id: 1 } },
    ],
    contacts: [{ name: 'owner_user', key: { ownerId: 1, userId: 1 }, unique: true }],
    hidden: [{ name: 'user_conversation_seq', key: { userId: 1, conversationId: 1, seq: 1 }, unique: true }],
    restrictions: [{ name: 'conversation_user_kind', key: { conversationId: 1, userId: 1, kind: 1 } }],
    reports: [{ name: 'conversation_id', key: { conversationId: 1, id: 1 }, unique: true }],
    calls: [
      { name: 'id', key: { id: 1 }, unique: true },
      { name: 'conversation_status', key: { conversationId: 1, status: 1 } },
      { name: 'participant_started', key: { 'participants.userId': 1, startedAt: -1, id: -1 } },
    ],
    directs: [{ name: 'conversation', key: { conversationId: 1 } }],
    // The change feed's dead letters, listed by keyset (cursors and leases are read by `_id`).
    feed_parked: [{ name: 'consumer_conversation_seq', key: { consumer: 1, conversationId: 1, seq: 1 } }],
    // Push devices: a page of recipients' devices, and the per-user trim.
    push_devices: [
      { name: 'user_device', key: { userId: 1, deviceId: 1 }, unique: true },
      { name: 'user_updated', key: { userId: 1, updatedAt: -1 } },
    ],
  };
}

/**
 * Create every index the store relies on. Idempotent (same names and keys: a no-op) and safe on a
 * live database: MongoDB 4.2+ builds indexes without blocking reads and writes for the whole build.
 * Call it at deploy time or at startup, before serving traffic.
 */
export async function ensureIndexes(db: Db, options: EnsureIndexesOptions = {}): Promise<void> {
  const prefix = options.collectionPrefix ?? DEFAULT_PREFIX;
  const specs = indexSpecs({ textIndex: options.textIndex ?? true, textLanguage: options.textLanguage ?? 'english' });
  for (const [name, indexes] of Object.entries(specs)) {
    if (indexes.length > 0) await db.collection(`${prefix}${name}`).createIndexes(indexes);
  }
}
