import type { User } from '@parley/protocol';
import { commit, publish, type EngineContext } from '../context.js';
import { ChatError, isChatError } from '../errors.js';
import { topics } from '../pubsub.js';
import type { AppendInput, InboxRow } from '../store.js';

/** The key of a user's `metadata` that marks them erased (the persisted erasure marker). */
export const ERASURE_KEY = 'parley.erasure';

/** The display name an erased user's profile keeps. */
export const ERASED_DISPLAY_NAME = 'Deleted user';

/** Options of `chat.eraseUser`. */
export interface EraseOptions {
  /**
   * `anonymize`: the user's messages stay, shown from a profile reduced to "Deleted user" (their
   * content kept unless `eraseContent`). `purge`: every message they sent is deleted for everyone
   * and its content erased (tombstones keep seq gap-free), and their reactions are removed.
   */
  mode: 'anonymize' | 'purge';
  /** For `anonymize`: erase the content of their messages too (tombstones, like `purge`). Default false. */
  eraseContent?: boolean;
}

/** What one run of `chat.eraseUser` did. A rerun after completion does nothing and says so. */
export interface EraseReport {
  userId: string;
  mode: EraseOptions['mode'];
  /** True when an earlier run had already completed this erasure: nothing was done. */
  alreadyErased: boolean;
  conversations: number;
  messagesErased: number;
  reactionsRemoved: number;
  contactsRemoved: number;
  /** Push devices of the user removed (none left to notify; see `ChatStore.push`). */
  pushDevicesRemoved: number;
}

/** The marker stored under {@link ERASURE_KEY}. */
interface ErasureMarker {
  mode: EraseOptions['mode'];
  eraseContent: boolean;
  startedAt: number;
  completedAt: number | null;
}

/** The erasure marker of a user, or null when the user is not (being) erased. */
export function erasureOf(user: Pick<User, 'metadata'>): ErasureMarker | null {
  const marker = user.metadata[ERASURE_KEY];
  return marker && typeof marker === 'object' ? (marker as ErasureMarker) : null;
}

/** Whether `run` is at least as strong as `done` (purge covers anonymize; erased content covers kept). */
const covers = (done: ErasureMarker, run: ErasureMarker) =>
  done.mode === 'purge' || (run.mode === 'anonymize' && (done.eraseContent || !run.eraseContent));

/** An append refused as a conflict (target deleted meanwhile, the user already left) found the work done. */
async function appendTolerant(ctx: EngineContext, input: AppendInput): Promise<boolean> {
  try {
    await commit(ctx, input);
    return true;
  } catch (error) {
    if (isChatError(error, 'CONFLICT')) return false;
    throw error;
  }
}

/** Every membership of the user, active and former, by conversation id. */
async function* memberships(ctx: EngineContext, userId: string): AsyncGenerator<InboxRow> {
  let after: string | undefined;
  for (;;) {
    const page = await ctx.store.changedMemberships({ userId, since: 0, limit: 100, ...(after === undefined ? {} : { afterConversationId: after }) });
    yield* page;
    if (page.length < 100) return;
    after = page[page.length - 1]!.conversation.id;
  }
}

/** Erase the user's content in one conversation, then end their membership. Safe to run again. */
async function eraseIn(ctx: EngineContext, userId: string, row: InboxRow, marker: ErasureMarker, report: EraseReport): Promise<void> {
  const conversationId = row.conversation.id;
  const eraseContent = marker.mode === 'purge' || marker.eraseContent;
  const mine: number[] = [];
  // read no further than the log's end at the start: the deletes appended below come after it
  const end = row.member.leftSeq ?? row.conversation.lastSeq;
  for (const window of [...row.member.pastWindows, { joinSeq: row.member.joinSeq, leftSeq: end }]) {
    let after = window.joinSeq - 1;
    for (;;) {
      const page = await ctx.store.events({ conversationId, after, maxSeq: window.leftSeq, limit: 200, timelineOnly: true });
      for (const event of page) {
        if (event.type !== 'message') continue;
        const m = event.message;
        const at = ctx.clock.now();
        if (m.senderId === userId && eraseContent) {
          mine.push(m.seq);
          if (m.deletedAt === null && (await appendTolerant(ctx, { draft: { type: 'message.deleted', conversationId, actorId: userId, at, target: m.seq }, targetNotDeleted: true }))) {
            report.messagesErased += 1;
          }
        }
        if (marker.mode !== 'purge' || m.deletedAt !== null) continue;
        for (const [emoji, who] of Object.entries(m.reactions)) {
          if (!who.includes(userId)) continue;
          const draft = { type: 'message.reaction' as const, conversationId, actorId: userId, at, target: m.seq, emoji, added: false };
          if (await appendTolerant(ctx, { draft })) report.reactionsRemoved += 1;
        }
      }
      if (page.length < 200) break;
      after = page[page.length - 1]!.seq;
    }
  }
  // content the deletes left in storage (and any a crash between delete and purge left behind)
  if (mine.length) await ctx.store.purgeDeleted({ deletedBefore: Number.MAX_SAFE_INTEGER, conversationId, seqs: mine });
  if (row.member.leftSeq === null) {
    await appendTolerant(ctx, { draft: { type: 'member.left', conversationId, actorId: userId, at: ctx.clock.now(), userId, removed: false } });
  }
  report.conversations += 1;
}

/**
 * Erase a user (GDPR article 17). The marker is written first, so the user cannot connect again
 * and a rerun after a crash finishes the job: every step is idempotent (a message already deleted
 * is skipped, purging erased content again is a no-op, a membership already ended is not ended
 * twice). Connected devices are told through the user topic (`user.erased`), and transports
 * close them.
 */
export async function eraseUser(ctx: EngineContext, userId: string, options: EraseOptions): Promise<EraseReport> {
  if (options.mode !== 'anonymize' && options.mode !== 'purge') throw new ChatError('INVALID', 'mode must be "anonymize" or "purge"');
  const [user] = await ctx.store.getUsers([userId]);
  if (!user) throw new ChatError('NOT_FOUND', `no user ${userId}`);
  const now = ctx.clock.now();
  const run: ErasureMarker = { mode: options.mode, eraseContent: options.mode === 'purge' || options.eraseContent === true, startedAt: now, completedAt: null };
  const report: EraseReport = { userId, mode: options.mode, alreadyErased: false, conversations: 0, messagesErased: 0, reactionsRemoved: 0, contactsRemoved: 0, pushDevicesRemoved: 0 };
  const previous = erasureOf(user);
  if (previous?.completedAt != null && covers(previous, run)) return { ...report, alreadyErased: true };
  const marker = previous && previous.completedAt === null && covers(previous, run) ? previous : run;
  await ctx.store.upsertUser({ id: userId, displayName: ERASED_DISPLAY_NAME, avatarUrl: null, statusText: null, metadata: { [ERASURE_KEY]: marker }, now });
  await publish(ctx, topics.user(userId), { t: 'user.erased', userId });
  for (const contact of await ctx.store.listContacts(userId)) {
    if (await ctx.store.removeContact({ ownerId: userId, userId: contact.userId })) report.contactsRemoved += 1;
  }
  for (const device of ctx.store.push ? await ctx.store.push.devicesOf([userId]) : []) {
    if (await ctx.store.push!.removeDevice({ userId, deviceId: device.deviceId })) report.pushDevicesRemoved += 1;
  }
  for await (const row of memberships(ctx, userId)) await eraseIn(ctx, userId, row, marker, report);
  await ctx.store.upsertUser({ id: userId, metadata: { [ERASURE_KEY]: { ...marker, completedAt: ctx.clock.now() } }, now: ctx.clock.now() });
  return report;
}
