import type { ChatStore } from '@parley/core';
import type { StoreContext } from './context.js';
import { toCall } from './documents.js';
import { callId } from './ids.js';

/** Call records (written by `call` events in {@link ChatStore.append}). */
export function callMethods(ctx: StoreContext): Pick<ChatStore, 'getCall' | 'activeCall' | 'listCalls'> {
  const { calls } = ctx.cols;
  return {
    async getCall(id) {
      const doc = await calls.findOne({ _id: callId(id) });
      return doc ? toCall(doc) : null;
    },
    async activeCall(conversationId) {
      const doc = await calls.findOne({ conversationId, status: { $in: ['ringing', 'active'] } });
      return doc ? toCall(doc) : null;
    },
    async listCalls({ userId, before, limit }) {
      const filter: Record<string, unknown> = { 'participants.userId': userId };
      if (before) {
        filter.$or = [{ startedAt: { $lt: before.startedAt } }, { startedAt: before.startedAt, id: { $lt: before.id } }];
      }
      const docs = await calls.find(filter).sort({ startedAt: -1, id: -1 }).limit(limit).toArray();
      return docs.map(toCall);
    },
  };
}
