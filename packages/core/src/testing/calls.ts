import { describe, expect, it } from 'vitest';
import { allEvents, createWorld, expectCode, messagesIn, useStore, type World } from './fixtures.js';
import type { ResolvedStoreOptions } from './options.js';

async function direct(w: World) {
  const [a, b] = await w.users('a', 'b');
  const d = await w.chat.as(a!).openDirect({ userId: b! });
  return { a: a!, b: b!, id: d.id };
}

const callMessages = async (w: World, conversationId: string) => messagesIn(await allEvents(w.store, conversationId)).filter((m) => m.kind === 'call');

/** Calls: the state machine, call events and call messages in the log, call history. */
export function callsSuite(o: ResolvedStoreOptions): void {
  describe('calls', () => {
    const store = useStore(o);
    const RING = 30_000;

    it('start, answer, end: duration from answer to end, a call message in the timeline', async () => {
      const w = createWorld(store(), { limits: { ringTimeoutMs: RING } });
      const s = await direct(w);
      const call = await w.chat.as(s.a).startCall({ conversationId: s.id, media: 'video' });
      expect(call).toMatchObject({ status: 'ringing', initiatorId: s.a, media: 'video', answeredAt: null, endedAt: null, durationMs: null });
      expect(Object.fromEntries(call.participants.map((p) => [p.userId, p.state]))).toEqual({ [s.a]: 'joined', [s.b]: 'ringing' });
      expect((await w.store.activeCall(s.id))?.id).toBe(call.id);
      w.clock.advance(2000);
      const answered = await w.chat.as(s.b).answerCall({ callId: call.id });
      expect(answered).toMatchObject({ status: 'active', answeredAt: w.clock.now() });
      w.clock.advance(65_000);
      const ended = await w.chat.as(s.b).endCall({ callId: call.id });
      expect(ended).toMatchObject({ status: 'ended', endedAt: w.clock.now(), durationMs: 65_000 });
      expect(await w.store.getCall(call.id)).toEqual(ended);
      expect(await w.store.activeCall(s.id)).toBeNull();
      const events = await allEvents(w.store, s.id);
      expect(events.filter((e) => e.type === 'call').map((e) => (e.type === 'call' ? e.call.status : ''))).toEqual(['ringing', 'active', 'ended']);
      const [summary] = await callMessages(w, s.id);
      expect(summary).toMatchObject({ senderId: s.a, call: { callId: call.id, status: 'ended', durationMs: 65_000, media: 'video' } });
      // a call message counts as a message from the caller
      expect((await w.chat.as(s.b).inbox({})).items[0]!.conversation.lastMessage).toMatchObject({ kind: 'call', senderId: s.a });
      expect(await w.chat.as(s.a).endCall({ callId: call.id })).toEqual(ended);
    });

    it('decline ends a direct call as declined; a second start while one is live is a CONFLICT', async () => {
      const w = createWorld(store(), { limits: { ringTimeoutMs: RING } });
      const s = await direct(w);
      const call = await w.chat.as(s.a).startCall({ conversationId: s.id, media: 'audio' });
      await expectCode(w.chat.as(s.b).startCall({ conversationId: s.id, media: 'audio' }), 'CONFLICT');
      const declined = await w.chat.as(s.b).declineCall({ callId: call.id });
      expect(declined).toMatchObject({ status: 'declined', durationMs: null });
      expect(declined.participants.find((p) => p.userId === s.b)?.state).toBe('declined');
      await expectCode(w.chat.as(s.b).answerCall({ callId: call.id }), 'CONFLICT');
      expect((await callMessages(w, s.id)).map((m) => m.call?.status)).toEqual(['declined']);
      const next = await w.chat.as(s.b).startCall({ conversationId: s.id, media: 'audio' });
      expect(next.id).not.toBe(call.id);
    });

    it('an unanswered call becomes missed after the ring timeout', async () => {
      const w = createWorld(store(), { limits: { ringTimeoutMs: RING } });
      const s = await direct(w);
      const call = await w.chat.as(s.a).startCall({ conversationId: s.id, media: 'audio' });
      w.clock.advance(RING - 1);
      expect((await w.chat.as(s.b).callHistory({})).items[0]?.status).toBe('ringing');
      w.clock.advance(1);
      await expectCode(w.chat.as(s.b).answerCall({ callId: call.id }), 'CONFLICT');
      const stored = (await w.store.getCall(call.id))!;
      expect(stored).toMatchObject({ status: 'missed', endedAt: w.clock.now(), durationMs: null });
      expect(stored.participants.find((p) => p.userId === s.b)?.state).toBe('missed');
      expect((await callMessages(w, s.id)).map((m) => m.call?.status)).toEqual(['missed']);
      expect((await w.chat.as(s.b).unreadTotal({})).total).toBe(1);
    });

    it('the caller cancels a ringing call', async () => {
      const w = createWorld(store(), { limits: { ringTimeoutMs: RING } });
      const s = await direct(w);
      const call = await w.chat.as(s.a).startCall({ conversationId: s.id, media: 'audio' });
      expect(await w.chat.as(s.a).endCall({ callId: call.id })).toMatchObject({ status: 'cancelled' });
      expect(await w.store.activeCall(s.id)).toBeNull();
    });

    it('group call: active while two remain, ends when the second-to-last leaves', async () => {
      const w = createWorld(store(), { limits: { ringTimeoutMs: RING } });
      const [a, b, c] = await w.users('a', 'b', 'c');
      const g = await w.chat.as(a!).createGroup({ title: 'call', memberIds: [b!, c!] });
      const call = await w.chat.as(a!).startCall({ conversationId: g.id, media: 'audio' });
      await w.chat.as(b!).answerCall({ callId: call.id });
      w.clock.advance(1000);
      const afterC = await w.chat.as(c!).answerCall({ callId: call.id });
      expect(afterC.status).toBe('active');
      w.clock.advance(1000);
      expect((await w.chat.as(a!).endCall({ callId: call.id })).status).toBe('active');
      const ended = await w.chat.as(b!).endCall({ callId: call.id });
      expect(ended).toMatchObject({ status: 'ended', durationMs: 2000 });
      expect(ended.participants.every((p) => p.state === 'left')).toBe(true);
    });

    it('call history lists a user’s calls newest first, with a cursor', async () => {
      const w = createWorld(store(), { limits: { ringTimeoutMs: RING } });
      const s = await direct(w);
      const [c] = await w.users('c');
      const other = await w.chat.as(s.a).openDirect({ userId: c! });
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        w.clock.advance(1000);
        const call = await w.chat.as(s.a).startCall({ conversationId: i % 2 ? other.id : s.id, media: 'audio' });
        await w.chat.as(s.a).endCall({ callId: call.id });
        ids.push(call.id);
      }
      const paged: string[] = [];
      let cursor: string | undefined;
      for (let guard = 0; guard < 10; guard++) {
        const page = await w.chat.as(s.a).callHistory({ limit: 2, ...(cursor ? { cursor } : {}) });
        paged.push(...page.items.map((x) => x.id));
        if (!page.nextCursor) break;
        cursor = page.nextCursor;
      }
      expect(paged).toEqual([...ids].reverse());
      expect((await w.chat.as(s.b).callHistory({})).items.map((x) => x.id)).toEqual([ids[4], ids[2], ids[0]]);
      expect((await w.chat.as(c!).callHistory({})).items.map((x) => x.id)).toEqual([ids[3], ids[1]]);
    });
  });
}
