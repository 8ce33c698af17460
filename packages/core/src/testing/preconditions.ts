import type { ConversationEvent, Message } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { isChatError } from '../errors.js';
import { appendRefused, type AppendRefusal } from '../preconditions.js';
import type { AppendInput, ChatStore } from '../store.js';
import { allEvents, createWorld, failure, useStore, type World } from './fixtures.js';
import type { ResolvedStoreOptions } from './options.js';

/** Rounds of each race: enough for a store that checks outside its lock to lose at least once. */
const ROUNDS = 6;

/** A message draft as the engine builds it. */
function messageDraft(w: World, conversationId: string, senderId: string, clientId: string, replyTo: number | null = null): AppendInput['draft'] {
  const message: Omit<Message, 'seq'> = {
    conversationId, id: w.id(`m-${clientId}`), senderId, kind: 'text', text: clientId, attachments: [], replyTo, mentions: [],
    reactions: {}, clientId, call: null, metadata: {}, pinned: false, createdAt: w.clock.now(), editedAt: null, deletedAt: null,
  };
  return { type: 'message', conversationId, actorId: senderId, at: w.clock.now(), message };
}

/** The append must be refused with exactly the refusal's error, and write nothing. */
async function expectRefused(store: ChatStore, input: AppendInput, refusal: AppendRefusal): Promise<void> {
  const before = await store.getConversation(input.draft.conversationId);
  const f = await failure(store.append(input));
  const expected = appendRefused(refusal, input);
  expect({ code: f.code, message: f.message }, `refusal ${refusal}`).toEqual({ code: expected.code, message: expected.message });
  expect(await store.getConversation(input.draft.conversationId)).toEqual(before);
}

/** Settle every promise; rethrow anything that is not a ChatError (a store crash must fail the test). */
async function settleAll(jobs: Array<Promise<unknown>>): Promise<Array<PromiseSettledResult<unknown>>> {
  const results = await Promise.allSettled(jobs);
  for (const r of results) if (r.status === 'rejected' && !isChatError(r.reason)) throw r.reason;
  return results;
}

const seqOfDemotion = (events: ConversationEvent[], userId: string) =>
  events.find((e) => e.type === 'member.role' && e.userId === userId && e.role === 'member')?.seq ?? Infinity;
const seqOfLeave = (events: ConversationEvent[], userId: string) =>
  events.find((e) => e.type === 'member.left' && e.userId === userId)?.seq ?? Infinity;

/**
 * Preconditions are checked by the store atomically with the append: each one refused with its
 * own error and no write (store level), and races between an action and the change that forbids
 * it always end in a state the rules allow (engine level, several rounds).
 */
export function preconditionsSuite(o: ResolvedStoreOptions): void {
  describe('preconditions', () => {
    const store = useStore(o);

    it('each precondition, when broken, is refused with its own error and writes nothing', async () => {
      const w = createWorld(store());
      const [owner, admin, member, former, stranger, fresh] = await w.users('owner', 'admin', 'member', 'former', 'stranger', 'fresh');
      const g = await w.chat.as(owner!).createGroup({ title: 'pre', memberIds: [admin!, member!, former!] });
      await w.chat.as(owner!).setRole({ conversationId: g.id, userId: admin!, role: 'admin' });
      const early = await w.chat.as(member!).send({ conversationId: g.id, clientId: 'early', text: 'early' });
      const doomed = await w.chat.as(member!).send({ conversationId: g.id, clientId: 'doomed', text: 'doomed' });
      await w.chat.as(member!).delete({ conversationId: g.id, seq: doomed.seq, scope: 'everyone' });
      await w.chat.as(former!).leave({ conversationId: g.id });
      const base = { conversationId: g.id, at: w.clock.now() };
      const s = w.store;

      await expectRefused(s, { draft: messageDraft(w, g.id, stranger!, 'a'), requireActiveMember: stranger! }, 'never-member');
      await expectRefused(s, { draft: messageDraft(w, g.id, former!, 'b'), requireActiveMember: former! }, 'not-active');
      await expectRefused(s, { draft: messageDraft(w, w.id('nowhere'), member!, 'c'), requireActiveMember: member! }, 'no-conversation');
      const join = { ...base, type: 'member.joined' as const, actorId: member!, userId: fresh!, role: 'member' as const };
      await expectRefused(s, { draft: join, requireActiveMember: member!, actorRoles: ['owner', 'admin'] }, 'actor-role');
      await expectRefused(s, { draft: { ...join, actorId: owner!, userId: admin! } }, 'already-member');
      await expectRefused(s, { draft: join, requireActiveMember: owner!, maxMembers: 3 }, 'member-limit');
      const removeAdmin = { ...base, type: 'member.left' as const, actorId: admin!, userId: owner!, removed: true };
      await expectRefused(s, { draft: removeAdmin, requireActiveMember: admin!, subjectRoles: ['member'] }, 'subject-role');
      await expectRefused(s, { draft: { ...removeAdmin, userId: former! } }, 'not-member');
      const ownerLeaves = { ...base, type: 'member.left' as const, actorId: owner!, userId: owner!, removed: false };
      await expectRefused(s, { draft: ownerLeaves, keepOwner: true }, 'last-owner');
      await expectRefused(s, { draft: { ...base, type: 'member.role', actorId: owner!, userId: owner!, role: 'admin' }, keepOwner: true }, 'last-owner');
      const edit = { ...base, type: 'message.edited' as const, actorId: member!, target: doomed.seq, text: 'revived' };
      await expectRefused(s, { draft: edit, requireActiveMember: member!, targetNotDeleted: true }, 'target-deleted');
      await expectRefused(s, { draft: { ...edit, target: 999 }, requireActiveMember: member! }, 'no-target');
      await expectRefused(s, { draft: messageDraft(w, g.id, member!, 'd', 999), requireActiveMember: member! }, 'no-target');

      // a reply to a message from before the sender joined is not visible to them
      await w.chat.as(owner!).addMembers({ conversationId: g.id, userIds: [fresh!] });
      await expectRefused(s, { draft: messageDraft(w, g.id, fresh!, 'e', early.seq), requireActiveMember: fresh! }, 'no-target');

      // blocks stop messages in direct conversations
      const d = await w.chat.as(member!).openDirect({ userId: owner! });
      await w.chat.as(owner!).block({ userId: member! });
      await expectRefused(s, { draft: messageDraft(w, d.id, member!, 'f'), requireActiveMember: member!, notBlocked: true }, 'blocked');

      // and each passes when it holds (a reply to a deleted message is allowed: its tombstone shows)
      const seen = await w.chat.as(owner!).send({ conversationId: g.id, clientId: 'seen', text: 'seen' });
      await w.chat.as(owner!).delete({ conversationId: g.id, seq: seen.seq, scope: 'everyone' });
      const ok = await s.append({ draft: messageDraft(w, g.id, fresh!, 'g', seen.seq), requireActiveMember: fresh!, notBlocked: true });
      expect(ok.duplicate).toBe(false);
      expect(ok.event.type === 'message' && ok.event.message.replyTo).toBe(seen.seq);
    });

    it('a burst of concurrent sends with mixed outcomes: each gets its own, the good ones consecutive in arrival order', async () => {
      const w = createWorld(store());
      const [a, b, former, stranger] = await w.users('a', 'b', 'former', 'stranger');
      const g = await w.chat.as(a!).createGroup({ title: 'burst', memberIds: [b!, former!] });
      await w.chat.as(former!).leave({ conversationId: g.id });
      const start = (await w.store.getConversation(g.id))!.lastSeq;
      const send = (sender: string, clientId: string, conversationId = g.id, replyTo: number | null = null) =>
        w.store.append({ draft: messageDraft(w, conversationId, sender, clientId, replyTo), requireActiveMember: sender, notBlocked: true });
      // submitted in one synchronous run: a store that batches sees them as one batch
      const jobs = [
        send(a!, 'g1'), send(stranger!, 's1'), send(b!, 'g2'), send(a!, 'g1'), send(former!, 'f1'),
        send(b!, 'g3', w.id('nowhere')), send(a!, 'g4'), send(b!, 'r1', g.id, 999), send(b!, 'g5'),
      ];
      const results = await Promise.allSettled(jobs);
      const outcome = (i: number) => {
        const r = results[i]!;
        if (r.status === 'fulfilled') return { seq: r.value.event.seq, duplicate: r.value.duplicate };
        return { error: isChatError(r.reason) ? r.reason.message : String(r.reason) };
      };
      expect(results.map((_, i) => outcome(i))).toEqual([
        { seq: start + 1, duplicate: false },
        { error: appendRefused('never-member').message },
        { seq: start + 2, duplicate: false },
        { seq: start + 1, duplicate: true },
        { error: appendRefused('not-active').message },
        { error: appendRefused('no-conversation').message },
        { seq: start + 3, duplicate: false },
        { error: appendRefused('no-target').message },
        { seq: start + 4, duplicate: false },
      ]);
      const conversation = (await w.store.getConversation(g.id))!;
      expect(conversation.lastSeq).toBe(start + 4);
      const texts = (await allEvents(w.store, g.id)).flatMap((e) => (e.type === 'message' ? [e.message.text] : []));
      expect(texts).toEqual(['g1', 'g2', 'g4', 'g5']);
    });

    it('a resend after the sender left returns the original: exactly once wins over the membership check', async () => {
      const w = createWorld(store());
      const [a, b] = await w.users('a', 'b');
      const g = await w.chat.as(a!).createGroup({ title: 'resend', memberIds: [b!] });
      const draft = messageDraft(w, g.id, b!, 'once');
      const first = await w.store.append({ draft, requireActiveMember: b!, notBlocked: true });
      await w.chat.as(b!).leave({ conversationId: g.id });
      const again = await w.store.append({ draft, requireActiveMember: b!, notBlocked: true });
      expect(again.duplicate).toBe(true);
      expect(again.event.seq).toBe(first.event.seq);
      // a new message of theirs is refused
      await expectRefused(w.store, { draft: messageDraft(w, g.id, b!, 'new'), requireActiveMember: b! }, 'not-active');
    });

    it('an admin demoted or removed while adding members: no add by them commits after the change', { timeout: 120_000 }, async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const w = createWorld(store());
        const [owner, admin, ...adds] = await w.users('owner', 'admin', 'u1', 'u2', 'u3', 'u4', 'u5');
        const g = await w.chat.as(owner!).createGroup({ title: `demote ${round}` });
        await w.chat.as(owner!).addMembers({ conversationId: g.id, userIds: [admin!] });
        await w.chat.as(owner!).setRole({ conversationId: g.id, userId: admin!, role: 'admin' });
        const change =
          round % 2 === 0
            ? w.chat.as(owner!).setRole({ conversationId: g.id, userId: admin!, role: 'member' })
            : w.chat.as(owner!).removeMember({ conversationId: g.id, userId: admin! });
        await settleAll([w.chat.as(admin!).addMembers({ conversationId: g.id, userIds: adds }), change]);
        const events = await allEvents(w.store, g.id);
        const cut = Math.min(seqOfDemotion(events, admin!), seqOfLeave(events, admin!));
        expect(cut, 'the demotion or removal committed').toBeLessThan(Infinity);
        const late = events.filter((e) => e.type === 'member.joined' && e.actorId === admin! && e.seq > cut);
        expect(late, `round ${round}: joins by the admin after seq ${cut}`).toEqual([]);
      }
    });

    it('two owners stepping down or leaving at once leave the group with an owner', { timeout: 120_000 }, async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const w = createWorld(store());
        const [o1, o2, m] = await w.users('o1', 'o2', 'm');
        const g = await w.chat.as(o1!).createGroup({ title: `owners ${round}`, memberIds: [o2!, m!] });
        await w.chat.as(o1!).setRole({ conversationId: g.id, userId: o2!, role: 'owner' });
        const step = (u: string) =>
          round % 2 === 0
            ? w.chat.as(u).setRole({ conversationId: g.id, userId: u, role: 'admin' })
            : w.chat.as(u).leave({ conversationId: g.id });
        const results = await settleAll([step(o1!), step(o2!)]);
        const members = await w.store.listMembers({ conversationId: g.id, limit: 10 });
        expect(members.filter((x) => x.role === 'owner').length, `round ${round}: owners left`).toBeGreaterThanOrEqual(1);
        if (round % 2 === 1) expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
      }
    });

    it('concurrent adds never pass the member limit', { timeout: 120_000 }, async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const w = createWorld(store(), { limits: { maxGroupMembers: 6 } });
        const [owner, admin, ...users] = await w.users('owner', 'admin', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h');
        const g = await w.chat.as(owner!).createGroup({ title: `limit ${round}`, memberIds: [admin!] });
        await w.chat.as(owner!).setRole({ conversationId: g.id, userId: admin!, role: 'admin' });
        await settleAll([
          w.chat.as(owner!).addMembers({ conversationId: g.id, userIds: users.slice(0, 4) }),
          w.chat.as(admin!).addMembers({ conversationId: g.id, userIds: users.slice(4) }),
        ]);
        const conversation = (await w.store.getConversation(g.id))!;
        expect(conversation.memberCount, `round ${round}`).toBeLessThanOrEqual(6);
        expect((await w.store.memberIds(g.id)).length).toBe(conversation.memberCount);
      }
    });

    it('joining a channel from two devices at once succeeds on both, with one join event', { timeout: 120_000 }, async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const w = createWorld(store());
        const [owner, u] = await w.users('owner', 'u');
        const c = await w.chat.as(owner!).createChannel({ title: `join ${round}` });
        const [a, b] = await settleAll([w.chat.as(u!).join({ conversationId: c.id }), w.chat.as(u!).join({ conversationId: c.id })]);
        expect([a!.status, b!.status], `round ${round}`).toEqual(['fulfilled', 'fulfilled']);
        const joins = (await allEvents(w.store, c.id)).filter((e) => e.type === 'member.joined' && e.userId === u!);
        expect(joins).toHaveLength(1);
      }
    });

    it('an edit or reaction racing a delete never commits after it; the delete erases every edit text', { timeout: 120_000 }, async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const w = createWorld(store());
        const [a, b] = await w.users('a', 'b');
        const g = await w.chat.as(a!).createGroup({ title: `erase ${round}`, memberIds: [b!] });
        const m = await w.chat.as(a!).send({ conversationId: g.id, clientId: 'm', text: 'original' });
        await w.chat.as(a!).edit({ conversationId: g.id, seq: m.seq, text: 'first secret edit' });
        await settleAll([
          w.chat.as(a!).edit({ conversationId: g.id, seq: m.seq, text: 'racing secret edit' }),
          w.chat.as(b!).react({ conversationId: g.id, seq: m.seq, emoji: '🔥' }),
          w.chat.as(a!).delete({ conversationId: g.id, seq: m.seq, scope: 'everyone' }),
        ]);
        const events = await allEvents(w.store, g.id);
        const deletedAt = events.find((e) => e.type === 'message.deleted')!.seq;
        expect(events.filter((e) => 'target' in e && e.seq > deletedAt), `round ${round}`).toEqual([]);
        const history = await w.chat.as(b!).history({ conversationId: g.id, all: true });
        expect(JSON.stringify(history)).not.toContain('secret');
        expect(JSON.stringify(events)).not.toContain('secret');
      }
    });
  });
}
