import { describe, expect, it } from 'vitest';
import { isChatError } from '../errors.js';
import { allEvents, createWorld, messagesIn, pause, range, seqsOf, useStore } from './fixtures.js';
import type { ResolvedStoreOptions } from './options.js';

const SENDERS = 50;
const PER_SENDER = 20;

/** A reader's log: every seq it observed, in observation order. */
function checkReader(observed: number[], label: string): void {
  for (let i = 1; i < observed.length; i++) {
    // strictly increasing and contiguous: a seq committed late below one already seen would be missing or out of order
    expect(observed[i], `${label}: after seq ${observed[i - 1]}`).toBe(observed[i - 1]! + 1);
  }
}

/** Invariant 1 under load: many concurrent writers, readers polling meanwhile. */
export function concurrencySuite(o: ResolvedStoreOptions): void {
  describe('concurrency', () => {
    const store = useStore(o);

    it(
      `${SENDERS} concurrent senders × ${PER_SENDER} messages: seqs 2..${SENDERS * PER_SENDER + 1} after conversation.created at 1, readers never see a gap filled later`,
      { timeout: 120_000 },
      async () => {
        const w = createWorld(store());
        const [owner] = await w.users('owner');
        const senders = await w.users(...range(1, SENDERS).map((i) => `s${i}`));
        const g = await w.chat.as(owner!).createGroup({ title: 'load', memberIds: senders });
        const total = SENDERS * PER_SENDER + 1;
        let done = false;

        // reader 1: store.events after the last seq seen
        const storeReader = async () => {
          const seen: number[] = [1];
          for (;;) {
            const finished = done;
            const page = await w.store.events({ conversationId: g.id, after: seen[seen.length - 1]!, limit: 100, timelineOnly: false });
            seen.push(...seqsOf(page));
            if (page.length > 0) continue;
            if (finished) return seen;
            await pause();
          }
        };
        // reader 2: the engine's history with `after`, as a member
        const historyReader = async () => {
          const seen: number[] = [];
          let after = 0;
          for (;;) {
            const finished = done;
            const page = await w.chat.as(owner!).history({ conversationId: g.id, after, limit: 100 });
            seen.push(...seqsOf(page.events));
            if (page.events.length > 0) {
              after = page.events[page.events.length - 1]!.seq;
              continue;
            }
            if (finished) return seen;
            await pause();
          }
        };
        // reader 3: newest page each time; what it sees must always be a gap-free, growing tail
        const tailReader = async () => {
          let highest = 0;
          let reads = 0;
          while (!done) {
            const page = await w.store.events({ conversationId: g.id, limit: 30, timelineOnly: false });
            const seqs = seqsOf(page);
            const top = seqs[seqs.length - 1] ?? 0;
            expect(seqs).toEqual(range(Math.max(1, top - 29), top));
            expect(top).toBeGreaterThanOrEqual(highest);
            highest = top;
            reads++;
            await pause();
          }
          return reads;
        };

        const sendAll = Promise.all(
          senders.map(async (s, i) => {
            for (let j = 0; j < PER_SENDER; j++) {
              await w.chat.as(s).send({ conversationId: g.id, clientId: `m${j}`, text: `${i}:${j}` });
            }
          }),
        ).finally(() => {
          done = true;
        });
        const [, storeSeen, historySeen, tailReads] = await Promise.all([sendAll, storeReader(), historyReader(), tailReader()]);

        checkReader(storeSeen, 'store.events reader');
        checkReader(historySeen, 'history reader');
        expect(storeSeen).toEqual(range(1, total));
        expect(historySeen).toEqual(range(1, total));
        expect(tailReads).toBeGreaterThan(0);

        const events = await allEvents(w.store, g.id);
        expect(seqsOf(events)).toEqual(range(1, total));
        expect(events[0]!.type).toBe('conversation.created');
        const messages = messagesIn(events);
        expect(seqsOf(messages)).toEqual(range(2, total));
        const conv = (await w.store.getConversation(g.id))!;
        expect(conv).toMatchObject({ lastSeq: total, messageCount: SENDERS * PER_SENDER });
        // each sender's messages keep that sender's order, and its own watermark sits on its last message
        for (const [i, s] of senders.entries()) {
          const mine = messages.filter((m) => m.senderId === s);
          expect(mine.map((m) => m.text)).toEqual(range(0, PER_SENDER - 1).map((j) => `${i}:${j}`));
          const member = (await w.store.getMember(g.id, s))!;
          expect(member.readSeq).toBe(mine[mine.length - 1]!.seq);
        }
        expect(new Set(messages.map((m) => m.id)).size).toBe(messages.length);
      },
    );

    it('a member removed while sending has no message after its leftSeq', async () => {
      const w = createWorld(store());
      const [owner, m] = await w.users('owner', 'm');
      const g = await w.chat.as(owner!).createGroup({ title: 'race', memberIds: [m!] });
      let rejected = 0;
      const sends = Promise.all(
        range(0, 39).map(async (i) => {
          try {
            await w.chat.as(m!).send({ conversationId: g.id, clientId: `r${i}`, text: 'x' });
          } catch (e) {
            if (!isChatError(e, 'FORBIDDEN')) throw e;
            rejected++;
          }
        }),
      );
      await pause();
      await w.chat.as(owner!).removeMember({ conversationId: g.id, userId: m! });
      await sends;
      const leftSeq = (await w.store.getMember(g.id, m!))!.leftSeq!;
      const theirs = messagesIn(await allEvents(w.store, g.id)).filter((x) => x.senderId === m);
      for (const x of theirs) expect(x.seq).toBeLessThan(leftSeq);
      expect(theirs.length + rejected).toBe(40);
      expect(seqsOf(await allEvents(w.store, g.id))).toEqual(range(1, (await w.store.getConversation(g.id))!.lastSeq));
    });

    it('20 users joining a channel at once: distinct seqs, exact memberCount', async () => {
      const w = createWorld(store());
      const [owner] = await w.users('owner');
      const joiners = await w.users(...range(1, 20).map((i) => `j${i}`));
      const ch = await w.chat.as(owner!).createChannel({ title: 'open' });
      const members = await Promise.all(joiners.map((u) => w.chat.as(u).join({ conversationId: ch.id })));
      expect(new Set(members.map((m) => m.joinSeq)).size).toBe(20);
      expect(members.map((m) => m.joinSeq).sort((a, b) => a - b)).toEqual(range(2, 21));
      expect((await w.store.getConversation(ch.id))!).toMatchObject({ memberCount: 21, lastSeq: 21 });
      expect((await w.store.memberIds(ch.id)).length).toBe(21);
    });
  });
}
