import type { ConversationEvent } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { createFeed, type Feed, type FeedOptions } from '../feed.js';
import type { FeedStore } from '../feed-store.js';
import type { ChatStore } from '../store.js';
import { createWorld, range, useStore, type World } from './fixtures.js';
import type { ResolvedStoreOptions } from './options.js';

const feedOf = (store: ChatStore): FeedStore => {
  if (!store.feed) throw new Error('conformance kit: the store has no `feed` (FeedStore) part');
  return store.feed;
};

/** Delivered seqs per conversation, in delivery order. */
function recorder() {
  const seen = new Map<string, number[]>();
  const handle: FeedOptions['handle'] = ({ conversationId, events }) => {
    const list = seen.get(conversationId) ?? [];
    list.push(...events.map((e: ConversationEvent) => e.seq));
    seen.set(conversationId, list);
  };
  return { seen, handle };
}

async function group(w: World, n: number) {
  const [a, b] = await w.users('a', 'b');
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await w.chat.as(a!).createGroup({ title: `F${i}`, memberIds: [b!] })).id);
  return { a: a!, b: b!, ids };
}

const lastSeqOf = async (w: World, id: string) => (await w.store.getConversation(id))!.lastSeq;

/** Drain a feed: run passes until one consumes nothing. */
async function drain(feed: Feed) {
  for (let i = 0; i < 100; i++) if ((await feed.runOnce()).events === 0) return;
  throw new Error('feed did not drain');
}

/**
 * The change feed's store part: per-conversation cursors that never skip and never move back,
 * resumption by name, the lease (one holder at a time, takeover on expiry), lag, dead letters.
 */
export function feedSuite(o: ResolvedStoreOptions): void {
  describe('change feed', () => {
    const store = useStore(o);

    it('delivers every event of every conversation once, in seq order, while commits run concurrently', async () => {
      const w = createWorld(store());
      const { a, b, ids } = await group(w, 3);
      const rec = recorder();
      const feed = createFeed({ chat: w.chat, name: w.id('all'), handle: rec.handle, lease: false, batchSize: 7, pageSize: 2, concurrency: 2 });
      let sending = true;
      const consumer = (async () => {
        while (sending) await feed.runOnce();
      })();
      await Promise.all(
        ids.flatMap((id) => [a, b].map(async (u) => {
          for (const i of range(1, 12)) await w.chat.as(u).send({ conversationId: id, clientId: `${u}-${i}`, text: `m${i}` });
        })),
      );
      sending = false;
      await consumer;
      await drain(feed);
      for (const id of ids) expect(rec.seen.get(id)).toEqual(range(1, await lastSeqOf(w, id)));
    });

    it('a consumer with the same name resumes after its stored cursor; a handler failure retries from the last checkpoint', async () => {
      const w = createWorld(store());
      const { a, ids } = await group(w, 2);
      const name = w.id('resume');
      const first = recorder();
      const one = createFeed({ chat: w.chat, name, handle: first.handle, lease: false });
      await drain(one);
      for (const id of ids) expect(first.seen.get(id)).toEqual([1]);
      for (const i of range(1, 5)) await w.chat.as(a).send({ conversationId: ids[0]!, clientId: `r${i}`, text: 'x' });
      // a second instance (another process after a restart) picks up exactly where the first stopped
      const got: number[] = [];
      let fail = true;
      const two = createFeed({
        chat: w.chat,
        name,
        lease: false,
        retry: { baseMs: 0, maxMs: 0 },
        handle: ({ events, checkpoint }) => {
          for (const e of events) {
            if (fail && e.seq === 4) {
              fail = false;
              throw new Error('crash while handling seq 4');
            }
            got.push(e.seq);
            checkpoint(e.seq);
          }
        },
      });
      const run = await two.runOnce();
      expect(run.failures).toBe(1);
      await drain(two);
      expect(got).toEqual([2, 3, 4, 5, 6]);
      // and the first instance has nothing left to do
      expect((await one.runOnce()).events).toBe(0);
    });

    it('only the types asked for reach the handler; the cursor moves past the others', async () => {
      const w = createWorld(store());
      const { a, b, ids } = await group(w, 1);
      const id = ids[0]!;
      const m = await w.chat.as(a).send({ conversationId: id, clientId: 't1', text: 'x' });
      await w.chat.as(b).react({ conversationId: id, seq: m.seq, emoji: '👍' });
      await w.chat.as(a).send({ conversationId: id, clientId: 't2', text: 'y' });
      const types: string[] = [];
      const feed = createFeed({ chat: w.chat, name: w.id('types'), lease: false, types: ['message'], handle: ({ events, conversationId }) => {
        if (conversationId === id) types.push(...events.map((e) => `${e.type}@${e.seq}`));
      } });
      await drain(feed);
      expect(types).toEqual(['message@2', 'message@4']);
      expect((await feed.lag()).events).toBe(0);
    });

    it('saveCursor never moves a cursor backwards, also when two holders race', async () => {
      const w = createWorld(store());
      const { a, ids } = await group(w, 1);
      const id = ids[0]!;
      for (const i of range(1, 8)) await w.chat.as(a).send({ conversationId: id, clientId: `c${i}`, text: 'x' });
      const feed = feedOf(w.store);
      const consumer = w.id('cursor');
      await Promise.all([5, 2, 7, 3, 6].map((seq) => feed.saveCursor({ consumer, conversationId: id, seq })));
      await feed.saveCursor({ consumer, conversationId: id, seq: 1 });
      const mine = async () => {
        const out = [];
        let after: string | undefined;
        for (;;) {
          const page = await feed.pending({ consumer, limit: 50, ...(after === undefined ? {} : { afterConversationId: after }) });
          out.push(...page.filter((p) => p.conversationId === id));
          if (page.length < 50) return out;
          after = page[page.length - 1]!.conversationId;
        }
      };
      expect(await mine()).toEqual([{ conversationId: id, cursor: 7, lastSeq: 9 }]);
      await feed.saveCursor({ consumer, conversationId: id, seq: 9 });
      expect(await mine()).toEqual([]);
    });

    it('one holder at a time; another takes over when the lease expires, and a released lease is free at once', async () => {
      const w = createWorld(store());
      const { a, ids } = await group(w, 1);
      const name = w.id('lease');
      const recA = recorder();
      const recB = recorder();
      const lease = { ttlMs: 1000 };
      const nodeA = createFeed({ chat: w.chat, name, handle: recA.handle, lease: { ...lease, holder: 'node-a' } });
      const nodeB = createFeed({ chat: w.chat, name, handle: recB.handle, lease: { ...lease, holder: 'node-b' } });
      expect((await nodeA.runOnce()).leased).toBe(true);
      await w.chat.as(a).send({ conversationId: ids[0]!, clientId: 'l1', text: 'x' });
      expect(await nodeB.runOnce()).toEqual({ leased: false, events: 0, failures: 0 });
      expect(recB.seen.size).toBe(0);
      w.clock.advance(999);
      expect((await nodeB.runOnce()).leased).toBe(false);
      w.clock.advance(1); // node A stopped renewing 1000 ms ago: its lease has expired
      const took = await nodeB.runOnce();
      expect(took.leased).toBe(true);
      expect(recB.seen.get(ids[0]!)).toEqual([2]);
      expect((await nodeA.runOnce()).leased).toBe(false);
      await nodeB.stop();
      expect((await nodeA.runOnce()).leased).toBe(true);
      // a free lease raced by two holders: exactly one wins
      const feed = feedOf(w.store);
      const raced = w.id('race');
      const wins = await Promise.all(['x', 'y', 'z'].map((holder) => feed.takeLease({ consumer: raced, holder, now: w.clock.now(), ttlMs: 1000 })));
      expect(wins.filter(Boolean)).toHaveLength(1);
      await feed.releaseLease({ consumer: raced, holder: 'not-the-holder' });
      expect(await feed.takeLease({ consumer: raced, holder: 'other', now: w.clock.now(), ttlMs: 1000 })).toBe(false);
    });

    it('lag counts the events behind and the age of the oldest one', async () => {
      const w = createWorld(store());
      const name = w.id('lag');
      const feed = createFeed({ chat: w.chat, name, lease: false, handle: () => undefined });
      await drain(feed); // whatever other tests left in a shared store
      const { a, ids } = await group(w, 2);
      const createdAt = w.clock.now();
      w.clock.advance(5000);
      await w.chat.as(a).send({ conversationId: ids[1]!, clientId: 'g1', text: 'x' });
      w.clock.advance(1000);
      expect(await feed.lag()).toEqual({ events: 3, conversations: 2, oldestAt: createdAt, oldestAgeMs: 6000, complete: true });
      expect((await feed.lag({ maxConversations: 1 })).complete).toBe(false);
      await drain(feed);
      expect(await feed.lag()).toEqual({ events: 0, conversations: 0, oldestAt: null, oldestAgeMs: null, complete: true });
    });

    it('dead letters: park is idempotent per event, listed by keyset, removed by unpark', async () => {
      const w = createWorld(store());
      const feed = feedOf(w.store);
      const consumer = w.id('dead');
      await feed.park({ consumer, conversationId: 'c2', seq: 1, reason: 'first', at: 1 });
      await feed.park({ consumer, conversationId: 'c1', seq: 9, reason: 'x', at: 2 });
      await feed.park({ consumer, conversationId: 'c1', seq: 3, reason: 'y', at: 3 });
      await feed.park({ consumer, conversationId: 'c2', seq: 1, reason: 'again', at: 4 });
      await feed.park({ consumer: w.id('other'), conversationId: 'c1', seq: 1, reason: 'z', at: 5 });
      expect(await feed.parked({ consumer, limit: 10 })).toEqual([
        { conversationId: 'c1', seq: 3, reason: 'y', at: 3 },
        { conversationId: 'c1', seq: 9, reason: 'x', at: 2 },
        { conversationId: 'c2', seq: 1, reason: 'again', at: 4 },
      ]);
      expect(await feed.parked({ consumer, after: { conversationId: 'c1', seq: 3 }, limit: 1 })).toEqual([{ conversationId: 'c1', seq: 9, reason: 'x', at: 2 }]);
      expect(await feed.unpark({ consumer, conversationId: 'c1', seq: 9 })).toBe(true);
      expect(await feed.unpark({ consumer, conversationId: 'c1', seq: 9 })).toBe(false);
      expect((await feed.parked({ consumer, limit: 10 })).map((d) => d.seq)).toEqual([3, 1]);
    });
  });
}
