import type { ChatStore } from '@parley/core';
import { beforeEach, describe, expect, it } from 'vitest';
import { createMongoStore } from '../src/index.js';
import { directInput, groupInput, messageDraft } from './fixtures.js';
import { freshDatabase, useTestServer } from './server.js';

const server = useTestServer();
let store: ChatStore;
/** A second store on the same database: another process sharing it. */
let other: ChatStore;

beforeEach(async () => {
  const db = await freshDatabase(server());
  store = createMongoStore({ db, capabilities: server().capabilities });
  other = createMongoStore({ db, capabilities: server().capabilities });
});

// These hold on CongoDB too: seqs, clientIds and direct pairs are arbitrated by `_id`, which every
// server keeps unique, not by secondary unique indexes.
describe('mongo store under concurrency', () => {
  it('gives concurrent senders distinct, gap-free seqs', async () => {
    await store.createConversation(groupInput('c1', ['ann', 'bob', 'cy'], 1000));
    const senders = ['ann', 'bob', 'cy'];
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        (i % 2 ? store : other).append({ draft: messageDraft({ conversationId: 'c1', senderId: senders[i % 3]!, at: 1001 + i }), requireActiveMember: senders[i % 3]! }),
      ),
    );
    const seqs = results.map((r) => r.event.seq).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 30 }, (_, i) => i + 2));
    const conv = await store.getConversation('c1');
    expect(conv).toMatchObject({ lastSeq: 31, messageCount: 30 });
    const log = await store.events({ conversationId: 'c1', limit: 100, timelineOnly: false });
    expect(log.map((e) => e.seq)).toEqual(Array.from({ length: 31 }, (_, i) => i + 1));
    // each sender's own readOrd follows its last message
    for (const s of senders) {
      const m = await store.getMember('c1', s);
      const mine = results.filter((r) => r.event.type === 'message' && r.event.message.senderId === s).map((r) => r.event.seq);
      expect(m?.readSeq).toBe(Math.max(...mine));
    }
  });

  it('never lets a poller see a smaller seq appear after a larger one', async () => {
    await store.createConversation(groupInput('c2', ['ann', 'bob'], 1000));
    let seen = 1;
    let done = false;
    const gaps: string[] = [];
    const poller = (async () => {
      while (!done) {
        const batch = await other.events({ conversationId: 'c2', after: seen, limit: 50, timelineOnly: false });
        batch.forEach((e, i) => {
          if (e.seq !== seen + 1 + i) gaps.push(`after ${seen} got ${batch.map((x) => x.seq).join(',')}`);
        });
        if (batch.length > 0) seen = batch[batch.length - 1]!.seq;
      }
    })();
    await Promise.all(
      Array.from({ length: 25 }, (_, i) => store.append({ draft: messageDraft({ conversationId: 'c2', senderId: i % 2 ? 'ann' : 'bob', at: 2000 + i }) })),
    );
    done = true;
    await poller;
    expect(gaps).toEqual([]);
    const all = await other.events({ conversationId: 'c2', after: 1, limit: 100, timelineOnly: false });
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 25 }, (_, i) => i + 2));
  });

  it('writes one message for concurrent retries of one clientId', async () => {
    await store.createConversation(groupInput('c3', ['ann', 'bob'], 1000));
    const draft = messageDraft({ conversationId: 'c3', senderId: 'ann', at: 1001, clientId: 'retry-me' });
    const noise = Array.from({ length: 6 }, (_, i) => store.append({ draft: messageDraft({ conversationId: 'c3', senderId: 'bob', at: 1100 + i }) }));
    const retries = Array.from({ length: 10 }, (_, i) => (i % 2 ? store : other).append({ draft }));
    const results = await Promise.all([...retries, ...noise]);
    const mine = results.slice(0, 10);
    expect(mine.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(new Set(mine.map((r) => r.event.seq)).size).toBe(1);
    const log = await store.events({ conversationId: 'c3', limit: 100, timelineOnly: false });
    expect(log.filter((e) => e.type === 'message' && e.message.clientId === 'retry-me')).toHaveLength(1);
    expect(log.map((e) => e.seq)).toEqual(Array.from({ length: 8 }, (_, i) => i + 1));
  });

  it('creates one direct conversation for concurrent creators of a pair', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => (i % 2 ? store : other).createConversation(directInput(`d${i}`, i % 2 ? 'ann' : 'bob', i % 2 ? 'bob' : 'ann', 1000 + i))),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const winner = results.find((r) => r.created)!.conversation.id;
    expect(new Set(results.map((r) => r.conversation.id))).toEqual(new Set([winner]));
    const inbox = await store.inbox({ userId: 'ann', limit: 20 });
    expect(inbox.map((r) => r.conversation.id)).toEqual([winner]);
  });

  it('keeps joins and leaves consistent when they race with messages', async () => {
    await store.createConversation(groupInput('c4', ['ann'], 1000));
    const ops: Array<Promise<unknown>> = [];
    for (let i = 0; i < 10; i++) {
      ops.push(store.append({ draft: { type: 'member.joined', conversationId: 'c4', actorId: 'ann', at: 1001 + i, userId: `u${i}`, role: 'member' } }));
      ops.push(other.append({ draft: messageDraft({ conversationId: 'c4', senderId: 'ann', at: 1001 + i }) }));
    }
    await Promise.all(ops);
    const conv = await store.getConversation('c4');
    expect(conv).toMatchObject({ lastSeq: 21, memberCount: 11, messageCount: 10 });
    for (let i = 0; i < 10; i++) {
      const m = await store.getMember('c4', `u${i}`);
      const joined = (await store.events({ conversationId: 'c4', limit: 100, timelineOnly: false })).find((e) => e.type === 'member.joined' && e.userId === `u${i}`)!;
      expect(m).toMatchObject({ joinSeq: joined.seq, readSeq: joined.seq, leftSeq: null });
      const before = (await store.events({ conversationId: 'c4', before: joined.seq, limit: 100, timelineOnly: false })).filter((e) => e.type === 'message').length;
      expect(m?.readOrd).toBe(before);
    }
  });
});
