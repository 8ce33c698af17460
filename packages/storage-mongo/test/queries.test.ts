import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeRegex, eventsPlan, inboxPipeline, searchFilter, searchWindow } from '../src/queries.js';

describe('query builders', () => {
  it('escapes regex input so a search matches exactly the literal substrings', () => {
    fc.assert(
      // ASCII with every regex metacharacter likely: case folding of the two sides then agrees
      fc.property(fc.string({ unit: fc.constantFrom(...'aAbB.*+?^$()[]{}|\\/-'.split('')) }), fc.string({ unit: fc.constantFrom(...'aAbB.*+?^$()[]{}|\\/-'.split('')), maxLength: 3 }), (text, query) => {
        const re = new RegExp(escapeRegex(query), 'i');
        expect(re.test(text)).toBe(text.toLowerCase().includes(query.toLowerCase()));
      }),
    );
    expect(new RegExp(escapeRegex('a.b')).test('axb')).toBe(false);
  });

  it('plans history reads within the bounds and the applied lastSeq', () => {
    // the seqs a plan selects, simulated over a log 1..lastSeq
    const run = (q: Parameters<typeof eventsPlan>[0], lastSeq: number) => {
      const plan = eventsPlan(q, lastSeq);
      if (!plan) return [];
      const range = plan.filter.seq as { $gte: number; $lte: number };
      const all = Array.from({ length: lastSeq }, (_, i) => i + 1).filter((s) => s >= range.$gte && s <= range.$lte);
      const picked = plan.sort && (plan.sort as Record<string, number>).seq === 1 ? all.slice(0, plan.limit) : all.reverse().slice(0, plan.limit);
      return plan.reverse ? picked.reverse() : picked;
    };
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.option(fc.integer({ min: 0, max: 45 }), { nil: undefined }),
        fc.option(fc.integer({ min: 0, max: 45 }), { nil: undefined }),
        fc.option(fc.integer({ min: 1, max: 45 }), { nil: undefined }),
        fc.option(fc.integer({ min: 1, max: 45 }), { nil: undefined }),
        fc.integer({ min: 1, max: 10 }),
        (lastSeq, after, before, minSeq, maxSeq, limit) => {
          const got = run({ conversationId: 'c', after, before, minSeq, maxSeq, limit, timelineOnly: false }, lastSeq);
          const ok = (s: number) => s <= lastSeq && (after === undefined || s > after) && (before === undefined || s < before) && (minSeq === undefined || s >= minSeq) && (maxSeq === undefined || s <= maxSeq);
          const all = Array.from({ length: lastSeq }, (_, i) => i + 1).filter(ok);
          const expected = after !== undefined ? all.slice(0, limit) : all.slice(-limit);
          expect(got).toEqual(expected);
        },
      ),
    );
    expect(eventsPlan({ conversationId: 'c', limit: 5, timelineOnly: true }, 9)?.filter.type).toEqual({ $nin: ['message.edited', 'message.deleted', 'message.reaction', 'message.pinned'] });
  });

  it('bounds search to the first join and to leftSeq', () => {
    expect(searchWindow({ conversationId: 'c', joinSeq: 20, leftSeq: null, pastWindows: [{ joinSeq: 5, leftSeq: 9 }] }, 30)).toEqual({ conversationId: 'c', from: 5, to: 30 });
    expect(searchWindow({ conversationId: 'c', joinSeq: 3, leftSeq: 8, pastWindows: [] }, 30)).toEqual({ conversationId: 'c', from: 3, to: 8 });
    expect(searchWindow({ conversationId: 'c', joinSeq: 31, leftSeq: null, pastWindows: [] }, 30)).toBeNull();
  });

  it('builds $text or $regex search filters with a keyset cursor', () => {
    const windows = [{ conversationId: 'c', from: 1, to: 9 }];
    const text = searchFilter({ windows, query: 'fox', mode: 'text' });
    expect(text.$text).toEqual({ $search: 'fox' });
    expect(text).not.toHaveProperty(['message.text']);
    const regex = searchFilter({ windows, query: 'a+b', mode: 'regex', before: { createdAt: 5, conversationId: 'c', seq: 3 } });
    expect(regex).not.toHaveProperty('$text');
    expect(regex['message.text']).toEqual({ $regex: 'a\\+b', $options: 'i' });
    expect(regex.$and).toHaveLength(2);
    expect(regex['message.deletedAt']).toBeNull();
  });

  it('pages the inbox by (lastActivityAt desc, id desc) over ready conversations only', () => {
    const p = inboxPipeline({ userId: 'u', limit: 3, conversations: 'x_conversations', after: { lastActivityAt: 7, conversationId: 'k' } });
    expect(p[0]).toEqual({ $match: { userId: 'u', leftSeq: null } });
    expect(p[3]).toEqual({ $match: { 'c.state': 'ready', $or: [{ 'c.lastActivityAt': { $lt: 7 } }, { 'c.lastActivityAt': 7, 'c.id': { $lt: 'k' } }] } });
    expect(p.at(-1)).toEqual({ $limit: 3 });
  });
});
