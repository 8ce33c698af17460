import { SYSTEM_ACTOR, type Conversation, type Message } from '@parley/protocol';
import { publicConversation, type EngineContext } from './context.js';
import { ChatError } from './errors.js';
import { requireActive } from './rules.js';

/** One blocklist entry: a word or phrase (matched as whole words, case-insensitively) or a regular expression. */
export interface BlocklistEntry {
  /** A word or phrase, or a RegExp (the host's own; keep it linear-time). */
  match: string | RegExp;
  /** `block`: the message is refused (FORBIDDEN); `flag`: it is stored and filed in the report queue by the system. */
  action: 'block' | 'flag';
}

/** Blocklist options of `createChat` (`ChatOptions.blocklist`). */
export interface BlocklistOptions {
  /** Entries for every conversation. */
  entries?: readonly BlocklistEntry[];
  /** Extra entries for one conversation (the host keeps them, e.g. in the conversation's metadata). Called per send or edit. */
  forConversation?(conversation: Conversation): readonly BlocklistEntry[] | Promise<readonly BlocklistEntry[]>;
}

/** What the blocklist says about a text. */
export type BlocklistVerdict = { action: 'pass' } | { action: 'block' | 'flag'; entry: string };

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

interface Compiled {
  test(text: string): boolean;
  label: string;
  action: BlocklistEntry['action'];
}

/** Compile entries once; throws INVALID for an empty word or an unknown action. */
export function compileBlocklist(entries: readonly BlocklistEntry[]): Compiled[] {
  return entries.map((e) => {
    if (e.action !== 'block' && e.action !== 'flag') throw new ChatError('INVALID', `blocklist: unknown action ${JSON.stringify(e.action)}`);
    if (typeof e.match === 'string') {
      const word = e.match.trim();
      if (word.length === 0) throw new ChatError('INVALID', 'blocklist: empty word');
      // whole words: not inside a longer run of letters or digits
      const re = new RegExp(`(?<![\\p{L}\\p{N}])${escape(word).replace(/\s+/g, '\\s+')}(?![\\p{L}\\p{N}])`, 'iu');
      return { test: (t) => re.test(t), label: word, action: e.action };
    }
    const re = new RegExp(e.match.source, e.match.flags.replace(/[gy]/g, ''));
    return { test: (t) => re.test(t), label: String(e.match), action: e.action };
  });
}

/** The verdict of compiled entries on `text`: `block` wins over `flag`. */
export function judge(compiled: readonly Compiled[], text: string | null): BlocklistVerdict {
  if (text === null || compiled.length === 0) return { action: 'pass' };
  let flag: string | null = null;
  for (const c of compiled) {
    if (!c.test(text)) continue;
    if (c.action === 'block') return { action: 'block', entry: c.label };
    flag ??= c.label;
  }
  return flag === null ? { action: 'pass' } : { action: 'flag', entry: flag };
}

/** A blocklist ready for the engine: the app's entries compiled, and the per-conversation source. */
export interface Blocklist {
  verdict(text: string | null, conversation: () => Promise<Conversation>): Promise<BlocklistVerdict>;
}

/** Build the engine's blocklist from the options (null when none is configured). */
export function createBlocklist(options: BlocklistOptions | undefined): Blocklist | null {
  if (!options || (!options.entries?.length && !options.forConversation)) return null;
  const app = compileBlocklist(options.entries ?? []);
  return {
    async verdict(text, conversation) {
      if (text === null) return { action: 'pass' };
      const own = options.forConversation ? compileBlocklist(await options.forConversation(await conversation())) : [];
      const verdicts = [judge(app, text), judge(own, text)];
      return verdicts.find((v) => v.action === 'block') ?? verdicts.find((v) => v.action === 'flag') ?? { action: 'pass' };
    },
  };
}

/**
 * Screen a message text for a member of a conversation: throws FORBIDDEN for a `block` match;
 * returns the matching entry of a `flag` (to file with {@link fileFlag} once the message is stored), or null.
 */
export async function screen(ctx: EngineContext, actor: string, conversationId: string, text: string | null): Promise<string | null> {
  if (!ctx.blocklist) return null;
  const verdict = await ctx.blocklist.verdict(text, async () => publicConversation((await requireActive(ctx, conversationId, actor)).conversation));
  if (verdict.action === 'block') throw new ChatError('FORBIDDEN', 'message blocked by the blocklist');
  return verdict.action === 'flag' ? verdict.entry : null;
}

/** File a flagged message in the report queue, reported by the system (a failure is reported as `error`, never fails the send). */
export async function fileFlag(ctx: EngineContext, message: Message, entry: string): Promise<void> {
  try {
    await ctx.store.putReport({
      id: ctx.ids.next(),
      conversationId: message.conversationId,
      reporterId: SYSTEM_ACTOR,
      targetUserId: message.senderId,
      seq: message.seq,
      reason: `blocklist: ${entry}`,
      status: 'open',
      createdAt: ctx.clock.now(),
      resolvedBy: null,
      resolvedAt: null,
      action: null,
    });
  } catch (error) {
    ctx.emitter.emit('error', error);
  }
}
