import { describe, expect, it } from 'vitest';
import { isChatError } from '../errors.js';
import { createWorld, expectCode, useStore, type World } from './fixtures.js';
import type { ResolvedStoreOptions } from './options.js';

async function setup(w: World) {
  const [owner, admin, member, spammer] = await w.users('owner', 'admin', 'member', 'spammer');
  const c = await w.chat.as(owner!).createChannel({ title: 'public' });
  for (const u of [admin!, member!, spammer!]) await w.chat.as(u).join({ conversationId: c.id });
  await w.chat.as(owner!).setRole({ conversationId: c.id, userId: admin!, role: 'admin' });
  const spam = await w.chat.as(spammer!).send({ conversationId: c.id, clientId: 's', text: 'buy now' });
  return { owner: owner!, admin: admin!, member: member!, spammer: spammer!, id: c.id, spam };
}

/** Reports and the moderation queue: stored once per reporter and thing, seen only by readers, closed exactly once. */
export function reportsSuite(o: ResolvedStoreOptions): void {
  describe('reports', () => {
    const store = useStore(o);

    it('a member reports a message; moderators see it in the queue, with counts; a second report of the same thing is the first', async () => {
      const w = createWorld(store());
      const c = await setup(w);
      const r = await w.chat.as(c.member).report({ conversationId: c.id, seq: c.spam.seq, reason: 'spam' });
      expect(r.status).toBe('open');
      expect(await w.chat.as(c.member).report({ conversationId: c.id, seq: c.spam.seq, reason: 'again' })).toEqual(r);
      await w.chat.as(c.admin).report({ conversationId: c.id, userId: c.spammer, reason: 'spams everywhere' });
      const queue = await w.chat.as(c.owner).listReports({ conversationId: c.id });
      expect(queue.items.map((x) => [x.reporterId, x.targetUserId, x.seq, x.reason, x.status])).toEqual([
        [c.member, c.spammer, c.spam.seq, 'spam', 'open'],
        [c.admin, c.spammer, null, 'spams everywhere', 'open'],
      ]);
      expect(await w.chat.as(c.owner).reportCounts({ conversationId: c.id })).toEqual({ open: 2, resolved: 0, dismissed: 0 });
      // plain members have no queue
      await expectCode(w.chat.as(c.member).listReports({ conversationId: c.id }), 'FORBIDDEN');
      await expectCode(w.chat.as(c.member).reportCounts({ conversationId: c.id }), 'FORBIDDEN');
    });

    it('the reported user never sees the reports about them, nor who filed them, even as a moderator', async () => {
      const w = createWorld(store());
      const c = await setup(w);
      const adminMsg = await w.chat.as(c.admin).send({ conversationId: c.id, clientId: 'a', text: 'rude' });
      const r = await w.chat.as(c.member).report({ conversationId: c.id, seq: adminMsg.seq, reason: 'rude' });
      expect((await w.chat.as(c.admin).listReports({ conversationId: c.id })).items).toEqual([]);
      expect(await w.chat.as(c.admin).reportCounts({ conversationId: c.id })).toEqual({ open: 0, resolved: 0, dismissed: 0 });
      await expectCode(w.chat.as(c.admin).resolveReport({ conversationId: c.id, reportId: r.id, action: 'dismiss' }), 'NOT_FOUND');
      expect((await w.chat.as(c.owner).listReports({ conversationId: c.id })).items.map((x) => x.reporterId)).toEqual([c.member]);
    });

    it('resolving with an action applies it with the moderator’s rights; dismissing closes; a closed report stays closed', async () => {
      const w = createWorld(store());
      const c = await setup(w);
      const bad = await w.chat.as(c.member).report({ conversationId: c.id, seq: c.spam.seq, reason: 'spam' });
      const noise = await w.chat.as(c.spammer).report({ conversationId: c.id, userId: c.member, reason: 'revenge' });
      const resolved = await w.chat.as(c.admin).resolveReport({ conversationId: c.id, reportId: bad.id, action: 'ban' });
      expect(resolved).toMatchObject({ status: 'resolved', action: 'ban', resolvedBy: c.admin });
      expect((await w.store.getMember(c.id, c.spammer))!.leftSeq).not.toBeNull();
      await expectCode(w.chat.as(c.spammer).join({ conversationId: c.id }), 'FORBIDDEN');
      expect((await w.chat.as(c.admin).resolveReport({ conversationId: c.id, reportId: noise.id, action: 'dismiss' })).status).toBe('dismissed');
      await expectCode(w.chat.as(c.owner).resolveReport({ conversationId: c.id, reportId: bad.id, action: 'dismiss' }), 'CONFLICT');
      expect(await w.chat.as(c.owner).reportCounts({ conversationId: c.id })).toEqual({ open: 0, resolved: 1, dismissed: 1 });
      expect((await w.chat.as(c.owner).listReports({ conversationId: c.id, status: 'open' })).items).toEqual([]);
    });

    it('race: two moderators close one report — exactly one succeeds', async () => {
      for (let round = 0; round < 4; round++) {
        const w = createWorld(store());
        const c = await setup(w);
        const r = await w.chat.as(c.member).report({ conversationId: c.id, seq: c.spam.seq, reason: 'spam' });
        const results = await Promise.allSettled([
          w.chat.as(c.owner).resolveReport({ conversationId: c.id, reportId: r.id, action: 'dismiss' }),
          w.chat.as(c.admin).resolveReport({ conversationId: c.id, reportId: r.id, action: 'dismiss' }),
        ]);
        expect(results.filter((x) => x.status === 'fulfilled').length, `round ${round}`).toBe(1);
        const loser = results.find((x) => x.status === 'rejected');
        expect(isChatError((loser as PromiseRejectedResult).reason, 'CONFLICT')).toBe(true);
      }
    });

    it('bad reports are refused and store nothing', async () => {
      const w = createWorld(store());
      const c = await setup(w);
      const [stranger] = await w.users('stranger');
      await expectCode(w.chat.as(c.member).report({ conversationId: c.id, reason: 'x' }), 'INVALID');
      await expectCode(w.chat.as(c.spammer).report({ conversationId: c.id, seq: c.spam.seq, reason: 'me' }), 'INVALID');
      await expectCode(w.chat.as(c.member).report({ conversationId: c.id, userId: stranger!, reason: 'who' }), 'NOT_FOUND');
      await expectCode(w.chat.as(stranger!).report({ conversationId: c.id, seq: c.spam.seq, reason: 'x' }), 'FORBIDDEN');
      await expectCode(w.chat.as(c.member).report({ conversationId: c.id, seq: 999, reason: 'x' }), 'NOT_FOUND');
      expect(await w.chat.as(c.owner).reportCounts({ conversationId: c.id })).toEqual({ open: 0, resolved: 0, dismissed: 0 });
    });
  });
}
