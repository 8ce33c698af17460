import type { ConversationEvent } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { isChatError } from '../errors.js';
import { allEvents, createWorld, expectCode, failure, useStore, type World } from './fixtures.js';
import type { ResolvedStoreOptions } from './options.js';

/** Rounds of each race: enough for a store that checks outside its lock to lose at least once. */
const ROUNDS = 6;

const moderationEvents = (events: ConversationEvent[]) =>
  events.flatMap((e) => (e.type === 'moderation' ? [{ seq: e.seq, action: e.action, actorId: e.actorId, userId: e.userId, reason: e.reason }] : []));

async function channelWith(w: World) {
  const [owner, admin, member, other] = await w.users('owner', 'admin', 'member', 'other');
  const c = await w.chat.as(owner!).createChannel({ title: 'public' });
  for (const u of [admin!, member!, other!]) await w.chat.as(u).join({ conversationId: c.id });
  await w.chat.as(owner!).setRole({ conversationId: c.id, userId: admin!, role: 'admin' });
  return { owner: owner!, admin: admin!, member: member!, other: other!, id: c.id };
}

/**
 * Bans, mutes, freeze and slow mode: each an event of the log, each enforced by the store at commit
 * (also against the races that matter: a ban against a send, an unban against a join).
 */
export function moderationSuite(o: ResolvedStoreOptions): void {
  describe('moderation', () => {
    const store = useStore(o);

    it('a ban removes a present member, who then cannot send, react, rejoin or be re-added; unban lets them back', async () => {
      const w = createWorld(store());
      const c = await channelWith(w);
      const msg = await w.chat.as(c.other).send({ conversationId: c.id, clientId: 'm', text: 'hi' });
      const ban = await w.chat.as(c.admin).ban({ conversationId: c.id, userId: c.member, reason: 'spam' });
      expect(ban).toMatchObject({ conversationId: c.id, userId: c.member, kind: 'ban', until: null, reason: 'spam', actorId: c.admin });
      expect((await w.store.getMember(c.id, c.member))!.leftSeq).not.toBeNull();
      await expectCode(w.chat.as(c.member).send({ conversationId: c.id, clientId: 'x', text: 'x' }), 'FORBIDDEN');
      await expectCode(w.chat.as(c.member).react({ conversationId: c.id, seq: msg.seq, emoji: '👍' }), 'FORBIDDEN');
      const lastSeq = (await w.store.getConversation(c.id))!.lastSeq;
      expect(await failure(w.chat.as(c.member).join({ conversationId: c.id }))).toEqual({ code: 'FORBIDDEN', message: 'banned from this conversation' });
      expect((await w.store.getConversation(c.id))!.lastSeq, 'a refused join wrote an event').toBe(lastSeq);
      const events = await allEvents(w.store, c.id);
      expect(moderationEvents(events)).toEqual([{ seq: expect.any(Number), action: 'ban', actorId: c.admin, userId: c.member, reason: 'spam' }]);
      const left = events.find((e) => e.type === 'member.left' && e.userId === c.member)!;
      expect(left.seq).toBe(moderationEvents(events)[0]!.seq + 1);
      expect((await w.chat.as(c.admin).listRestrictions({ conversationId: c.id })).items.map((r) => [r.userId, r.kind])).toEqual([[c.member, 'ban']]);
      expect(await w.chat.as(c.admin).unban({ conversationId: c.id, userId: c.member })).toEqual({ lifted: true });
      expect(await w.chat.as(c.admin).unban({ conversationId: c.id, userId: c.member })).toEqual({ lifted: false });
      expect((await w.chat.as(c.member).join({ conversationId: c.id })).leftSeq).toBeNull();
    });

    it('a ban of someone who never joined keeps them out; in a group, nobody can add them back', async () => {
      const w = createWorld(store());
      const [owner, member, outsider] = await w.users('owner', 'member', 'outsider');
      const c = await w.chat.as(owner!).createChannel({ title: 'c' });
      await w.chat.as(owner!).ban({ conversationId: c.id, userId: outsider!, reason: 'known troll' });
      await expectCode(w.chat.as(outsider!).join({ conversationId: c.id }), 'FORBIDDEN');
      const g = await w.chat.as(owner!).createGroup({ title: 'g', memberIds: [member!, outsider!] });
      await w.chat.as(owner!).ban({ conversationId: g.id, userId: outsider! });
      expect((await w.store.getMember(g.id, outsider!))!.leftSeq).not.toBeNull();
      expect(await failure(w.chat.as(owner!).addMembers({ conversationId: g.id, userIds: [outsider!] }))).toEqual({ code: 'FORBIDDEN', message: 'banned from this conversation' });
    });

    it('a timed ban and a timeout end by themselves', async () => {
      const w = createWorld(store());
      const c = await channelWith(w);
      await w.chat.as(c.owner).ban({ conversationId: c.id, userId: c.member, durationMs: 60_000 });
      await w.chat.as(c.owner).muteMember({ conversationId: c.id, userId: c.other, durationMs: 30_000 });
      await expectCode(w.chat.as(c.member).join({ conversationId: c.id }), 'FORBIDDEN');
      expect(await failure(w.chat.as(c.other).send({ conversationId: c.id, clientId: 'a', text: 'a' }))).toEqual({ code: 'FORBIDDEN', message: 'you are muted in this conversation' });
      w.clock.advance(30_001);
      expect((await w.chat.as(c.other).send({ conversationId: c.id, clientId: 'b', text: 'b' })).text).toBe('b');
      await expectCode(w.chat.as(c.member).join({ conversationId: c.id }), 'FORBIDDEN');
      w.clock.advance(30_000);
      expect((await w.chat.as(c.member).join({ conversationId: c.id })).leftSeq).toBeNull();
    });

    it('a muted member reads but cannot post, react or type; unmute restores them', async () => {
      const w = createWorld(store());
      const c = await channelWith(w);
      const msg = await w.chat.as(c.other).send({ conversationId: c.id, clientId: 'm', text: 'hi' });
      await w.chat.as(c.admin).muteMember({ conversationId: c.id, userId: c.member, reason: 'cool down' });
      await expectCode(w.chat.as(c.member).send({ conversationId: c.id, clientId: 'x', text: 'x' }), 'FORBIDDEN');
      await expectCode(w.chat.as(c.member).react({ conversationId: c.id, seq: msg.seq, emoji: '👍' }), 'FORBIDDEN');
      await expectCode(w.chat.as(c.member).typing({ conversationId: c.id, typing: true }), 'FORBIDDEN');
      expect((await w.chat.as(c.member).history({ conversationId: c.id })).events.length).toBeGreaterThan(0);
      // the rank rule: an admin cannot mute another admin; nobody mutes an owner
      await expectCode(w.chat.as(c.admin).muteMember({ conversationId: c.id, userId: c.owner }), 'FORBIDDEN');
      expect(await w.chat.as(c.admin).unmuteMember({ conversationId: c.id, userId: c.member })).toEqual({ lifted: true });
      expect((await w.chat.as(c.member).send({ conversationId: c.id, clientId: 'y', text: 'y' })).text).toBe('y');
    });

    it('a frozen conversation is read-only for roles without freeze', async () => {
      const w = createWorld(store());
      const c = await channelWith(w);
      const frozen = await w.chat.as(c.admin).freeze({ conversationId: c.id, frozen: true, reason: 'raid' });
      expect(frozen.moderation).toEqual({ frozen: true, slowModeMs: null });
      expect(await failure(w.chat.as(c.member).send({ conversationId: c.id, clientId: 'x', text: 'x' }))).toEqual({ code: 'FORBIDDEN', message: 'this conversation is frozen' });
      expect((await w.chat.as(c.admin).send({ conversationId: c.id, clientId: 'a', text: 'announcement' })).text).toBe('announcement');
      await w.chat.as(c.admin).freeze({ conversationId: c.id, frozen: false });
      expect((await w.chat.as(c.member).send({ conversationId: c.id, clientId: 'y', text: 'y' })).text).toBe('y');
      expect(moderationEvents(await allEvents(w.store, c.id)).map((e) => [e.action, e.reason])).toEqual([['freeze', 'raid'], ['unfreeze', null]]);
    });

    it('slow mode refuses a member’s next message until the interval passed, saying when (RATE_LIMITED, retryAfterMs)', async () => {
      const w = createWorld(store());
      const c = await channelWith(w);
      await w.chat.as(c.owner).setSlowMode({ conversationId: c.id, intervalMs: 10_000 });
      await w.chat.as(c.member).send({ conversationId: c.id, clientId: 'a', text: 'a' });
      w.clock.advance(4_000);
      // a retry of the stored send is answered with the original, slow mode or not (exactly once wins)
      const first = await w.chat.as(c.member).send({ conversationId: c.id, clientId: 'a', text: 'a' });
      expect(first.text).toBe('a');
      const refused = await w.chat.as(c.member).send({ conversationId: c.id, clientId: 'b', text: 'b' }).catch((e: unknown) => e);
      expect(isChatError(refused, 'RATE_LIMITED')).toBe(true);
      expect((refused as { retryAfterMs?: number }).retryAfterMs).toBe(6_000);
      // moderators are exempt; a retry of the first send is still answered with the original
      await w.chat.as(c.admin).send({ conversationId: c.id, clientId: 'm1', text: 'm1' });
      await w.chat.as(c.admin).send({ conversationId: c.id, clientId: 'm2', text: 'm2' });
      w.clock.advance(6_000);
      expect((await w.chat.as(c.member).send({ conversationId: c.id, clientId: 'b', text: 'b' })).text).toBe('b');
      await w.chat.as(c.owner).setSlowMode({ conversationId: c.id, intervalMs: null });
      expect((await w.chat.as(c.member).send({ conversationId: c.id, clientId: 'c', text: 'c' })).text).toBe('c');
    });

    it('moderation needs its permission: members cannot ban, mute, freeze or set slow mode, and nothing changes', async () => {
      const w = createWorld(store());
      const c = await channelWith(w);
      const before = (await w.store.getConversation(c.id))!.lastSeq;
      for (const call of [
        () => w.chat.as(c.member).ban({ conversationId: c.id, userId: c.other }),
        () => w.chat.as(c.member).muteMember({ conversationId: c.id, userId: c.other }),
        () => w.chat.as(c.member).freeze({ conversationId: c.id, frozen: true }),
        () => w.chat.as(c.member).setSlowMode({ conversationId: c.id, intervalMs: 1000 }),
        () => w.chat.as(c.member).listRestrictions({ conversationId: c.id }),
        () => w.chat.as(c.admin).ban({ conversationId: c.id, userId: c.owner }),
      ]) {
        await expectCode(call(), 'FORBIDDEN');
      }
      expect((await w.store.getConversation(c.id))!.lastSeq).toBe(before);
    });

    it('race: a ban against the member’s sends — no message of theirs commits after the ban', async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const w = createWorld(store());
        const c = await channelWith(w);
        const sends = Array.from({ length: 4 }, (_, i) => w.chat.as(c.member).send({ conversationId: c.id, clientId: `r${i}`, text: `r${i}` }));
        const results = await Promise.allSettled([w.chat.as(c.admin).ban({ conversationId: c.id, userId: c.member }), ...sends]);
        expect(results[0]!.status).toBe('fulfilled');
        for (const r of results.slice(1)) if (r.status === 'rejected') expect(isChatError(r.reason, 'FORBIDDEN'), String(r.reason)).toBe(true);
        const events = await allEvents(w.store, c.id);
        const banSeq = events.find((e) => e.type === 'moderation' && e.action === 'ban')!.seq;
        const late = events.filter((e) => e.type === 'message' && e.message.senderId === c.member && e.seq > banSeq);
        expect(late, `round ${round}`).toEqual([]);
        expect(results.slice(1).filter((r) => r.status === 'fulfilled').length).toBe(events.filter((e) => e.type === 'message' && e.message.senderId === c.member).length);
      }
    });

    it('race: an unban against a join — the join commits only after the unban', async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const w = createWorld(store());
        const c = await channelWith(w);
        await w.chat.as(c.admin).ban({ conversationId: c.id, userId: c.member });
        const [unban, join] = await Promise.allSettled([
          w.chat.as(c.admin).unban({ conversationId: c.id, userId: c.member }),
          w.chat.as(c.member).join({ conversationId: c.id }),
        ]);
        expect(unban.status).toBe('fulfilled');
        const events = await allEvents(w.store, c.id);
        const unbanSeq = events.find((e) => e.type === 'moderation' && e.action === 'unban')!.seq;
        const joins = events.filter((e) => e.type === 'member.joined' && e.userId === c.member && e.seq > unbanSeq - 3);
        if (join.status === 'fulfilled') expect(joins.at(-1)!.seq, `round ${round}`).toBeGreaterThan(unbanSeq);
        else expect(await failure(Promise.reject(join.reason))).toEqual({ code: 'FORBIDDEN', message: 'banned from this conversation' });
      }
    });

    it('listRestrictions pages by (user, kind): a user both muted and banned is listed with both, each once', async () => {
      const w = createWorld(store());
      const c = await channelWith(w);
      await w.chat.as(c.owner).muteMember({ conversationId: c.id, userId: c.member });
      await w.chat.as(c.owner).ban({ conversationId: c.id, userId: c.member });
      await w.chat.as(c.owner).muteMember({ conversationId: c.id, userId: c.other });
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let i = 0; i < 5; i++) {
        const page = await w.chat.as(c.owner).listRestrictions({ conversationId: c.id, limit: 1, ...(cursor ? { cursor } : {}) });
        seen.push(...page.items.map((r) => `${r.userId === c.member ? 'member' : 'other'}:${r.kind}`));
        if (!page.nextCursor) break;
        cursor = page.nextCursor;
      }
      const want = [`${c.member}:ban`, `${c.member}:mute`, `${c.other}:mute`].sort().map((k) => k.replace(c.member, 'member').replace(c.other, 'other'));
      expect(seen).toEqual(want);
    });

    it('a refused moderated append writes nothing (store level)', async () => {
      const w = createWorld(store());
      const c = await channelWith(w);
      await w.chat.as(c.owner).muteMember({ conversationId: c.id, userId: c.member });
      const before = await w.store.getConversation(c.id);
      const f = await failure(
        w.store.append({
          draft: { type: 'member.role', conversationId: c.id, actorId: c.member, at: w.clock.now(), userId: c.member, role: 'member' },
          requireActiveMember: c.member,
          moderated: 'post',
        }),
      );
      expect(f).toEqual({ code: 'FORBIDDEN', message: 'you are muted in this conversation' });
      expect(await w.store.getConversation(c.id)).toEqual(before);
    });
  });
}
