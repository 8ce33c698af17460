import type { StoreContext } from './context.js';

/**
 * Blank the text of the `message.edited` events of one message (set to `''`), those before seq
 * `before` when given. Idempotent (already blank ones are not rewritten); index `conversation_target`.
 */
export async function eraseEditTexts(ctx: StoreContext, conversationId: string, target: number, before?: number): Promise<void> {
  await ctx.cols.events.updateMany(
    { conversationId, type: 'message.edited', target, ...(before !== undefined ? { seq: { $lt: before } } : {}), 'data.text': { $ne: '' } },
    { $set: { 'data.text': '' } },
  );
}
