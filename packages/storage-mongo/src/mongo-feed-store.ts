import type { FeedStore } from '@parley/core';
import type { Db, ObjectId } from 'mongodb';
import { isDuplicateKeyError } from './errors.js';
import { keyId } from './ids.js';

interface CursorDoc { _id: ObjectId; consumer: string; conversationId: string; seq: number }
interface LeaseDoc { _id: ObjectId; consumer: string; holder: string; expiresAt: number }
interface ParkedDoc { _id: ObjectId; consumer: string; conversationId: string; seq: number; reason: string; at: number }

/** Names of the collections of the change feed and of push devices, without prefix. */
export const FEED_COLLECTION_NAMES = ['feed_cursors', 'feed_leases', 'feed_parked', 'push_devices'] as const;

/** An upsert by `_id` that retries once when a concurrent upsert of the same `_id` won the insert. */
async function upsertById(run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
    await run();
  }
}

/**
 * The change feed's state on MongoDB. Every document's `_id` is derived from its key (like the
 * store's other documents), so it needs no secondary unique index. Pending work walks the ready
 * conversations by `id` (its unique index) and reads the consumer's cursors of each page by `_id`.
 *
 * The store applies an event's effects after inserting it; an event whose writer died before
 * applying it reaches the feed once the conversation's next append applies it (the feed reads
 * `lastSeq`, the applied watermark).
 */
export function createMongoFeedStore(db: Db, prefix: string): FeedStore {
  const cursors = db.collection<CursorDoc>(`${prefix}feed_cursors`);
  const leases = db.collection<LeaseDoc>(`${prefix}feed_leases`);
  const dead = db.collection<ParkedDoc>(`${prefix}feed_parked`);
  const conversations = db.collection<{ id: string; lastSeq: number; state: string }>(`${prefix}conversations`);
  const cursorId = (consumer: string, conversationId: string) => keyId('feed-cursor', consumer, conversationId);
  return {
    async pending({ consumer, afterConversationId, limit }) {
      const out = [];
      let after = afterConversationId;
      const chunk = Math.max(limit, 100);
      for (;;) {
        const page = await conversations
          .find({ state: 'ready', ...(after === undefined ? {} : { id: { $gt: after } }) }, { projection: { _id: 0, id: 1, lastSeq: 1 } })
          .sort({ id: 1 })
          .limit(chunk)
          .toArray();
        const ids = page.map((c) => cursorId(consumer, c.id));
        const seqs = new Map((await cursors.find({ _id: { $in: ids } }).toArray()).map((c) => [c.conversationId, c.seq]));
        for (const c of page) {
          const cursor = seqs.get(c.id) ?? 0;
          if (c.lastSeq > cursor) out.push({ conversationId: c.id, cursor, lastSeq: c.lastSeq });
          if (out.length === limit) return out;
        }
        if (page.length < chunk) return out;
        after = page[page.length - 1]!.id;
      }
    },
    async saveCursor({ consumer, conversationId, seq }) {
      await upsertById(() =>
        cursors.updateOne({ _id: cursorId(consumer, conversationId) }, { $max: { seq }, $set: { consumer, conversationId } }, { upsert: true }),
      );
    },
    async takeLease({ consumer, holder, now, ttlMs }) {
      const _id = keyId('feed-lease', consumer);
      try {
        await leases.insertOne({ _id, consumer, holder, expiresAt: now + ttlMs });
        return true;
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
      }
      const taken = await leases.updateOne({ _id, $or: [{ holder }, { expiresAt: { $lte: now } }] }, { $set: { holder, expiresAt: now + ttlMs } });
      return taken.matchedCount === 1;
    },
    async releaseLease({ consumer, holder }) {
      await leases.deleteOne({ _id: keyId('feed-lease', consumer), holder });
    },
    async park({ consumer, conversationId, seq, reason, at }) {
      await upsertById(() =>
        dead.updateOne({ _id: keyId('feed-parked', consumer, conversationId, seq) }, { $set: { consumer, conversationId, seq, reason, at } }, { upsert: true }),
      );
    },
    async parked({ consumer, after, limit }) {
      const keyset = after ? { $or: [{ conversationId: { $gt: after.conversationId } }, { conversationId: after.conversationId, seq: { $gt: after.seq } }] } : {};
      const docs = await dead.find({ consumer, ...keyset }).sort({ conversationId: 1, seq: 1 }).limit(limit).toArray();
      return docs.map((d) => ({ conversationId: d.conversationId, seq: d.seq, reason: d.reason, at: d.at }));
    },
    async unpark({ consumer, conversationId, seq }) {
      return (await dead.deleteOne({ _id: keyId('feed-parked', consumer, conversationId, seq) })).deletedCount === 1;
    },
  };
}
