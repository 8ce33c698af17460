import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HARD_LIMITS } from '@parley/protocol';
import { createWorld, expectCode, range, snapshotOf, useStore, type World } from './fixtures.js';
import type { ResolvedStoreOptions } from './options.js';

type Update = { read: boolean; seq: number };

async function conversationWithMessages(w: World, count: number) {
  const [a, b] = await w.users('a', 'b');
  const g = await w.chat.as(a!).createGroup({ title: 'R', memberIds: [b!] });
  for (let i = 0; i < count; i++) await w.chat.as(a!).send({ conversationId: g.id, clientId: `m${i}`, text: `m${i}` });
  return { a: a!, b: b!, id: g.id, lastSeq: count + 1 };
}

/** Invariant 3: watermarks only move forward, read implies delivered. */
export function receiptsSuite(o: ResolvedStoreOptions): void {
  describe('receipts', () => {
    const store = useStore(o);
    const updates = (max: number) => fc.array(fc.record({ read: fc.boolean(), seq: fc.integer({ min: 1, max }) }), { minLength: 1, maxLength: 30 });
    const expectedEnd = (list: Update[]) => {
      const read = Math.max(1, ...list.filter((u) => u.read).map((u) => u.seq));
      return { readSeq: read, deliveredSeq: Math.max(read, ...list.map((u) => u.seq)) };
    };

    it('updates applied one by one in random order never go backwards and end at the maximum', async () => {
      const w = createWorld(store());
      const c = await conversationWithMessages(w, 12);
      let round = 0;
      await fc.assert(
        fc.asyncProperty(updates(c.lastSeq), async (list) => {
          // a fresh member per run: join, then apply
          const [u] = await w.users(`u${round++}`);
          await w.chat.as(c.a).addMembers({ conversationId: c.id, userIds: [u!] });
          const joined = (await w.store.getMember(c.id, u!))!;
          let last = { readSeq: joined.readSeq, deliveredSeq: joined.deliveredSeq };
          const startSeq = joined.joinSeq;
          for (const up of list) {
            const m = (await w.store.advanceWatermarks({ conversationId: c.id, userId: u!, now: 5, ...(up.read ? { readSeq: up.seq } : { deliveredSeq: up.seq }) }))!;
            expect(m.readSeq).toBeGreaterThanOrEqual(last.readSeq);
            expect(m.deliveredSeq).toBeGreaterThanOrEqual(last.deliveredSeq);
            expect(m.deliveredSeq).toBeGreaterThanOrEqual(m.readSeq);
            if (up.read) expect(m.readSeq).toBeGreaterThanOrEqual(up.seq);
            expect(m.deliveredSeq).toBeGreaterThanOrEqual(up.seq);
            last = { readSeq: m.readSeq, deliveredSeq: m.deliveredSeq };
          }
          const end = expectedEnd([...list, { read: true, seq: startSeq }]);
          const stored = (await w.store.getMember(c.id, u!))!;
          expect({ readSeq: stored.readSeq, deliveredSeq: stored.deliveredSeq }).toEqual(end);
        }),
        { numRuns: o.runs(25) },
      );
    });

    it('the same updates applied concurrently end at the maximum', async () => {
      const w = createWorld(store());
      const c = await conversationWithMessages(w, 30);
      let round = 0;
      await fc.assert(
        fc.asyncProperty(updates(c.lastSeq), async (list) => {
          const [u] = await w.users(`c${round++}`);
          await w.chat.as(c.a).addMembers({ conversationId: c.id, userIds: [u!] });
          const joinSeq = (await w.store.getMember(c.id, u!))!.joinSeq;
          await Promise.all(
            list.map((up) => w.store.advanceWatermarks({ conversationId: c.id, userId: u!, now: 5, ...(up.read ? { readSeq: up.seq } : { deliveredSeq: up.seq }) })),
          );
          const stored = (await w.store.getMember(c.id, u!))!;
          expect({ readSeq: stored.readSeq, deliveredSeq: stored.deliveredSeq }).toEqual(expectedEnd([...list, { read: true, seq: joinSeq }]));
        }),
        { numRuns: o.runs(20) },
      );
    });

    it('markRead clamps to lastSeq, never moves back, and moves delivered with it', async () => {
      const w = createWorld(store());
      const c = await conversationWithMessages(w, 5);
      expect(await w.chat.as(c.b).markDelivered({ conversationId: c.id, seq: 3 })).toEqual({ conversationId: c.id, userId: c.b, deliveredSeq: 3, readSeq: 1 });
      expect(await w.chat.as(c.b).markRead({ conversationId: c.id, seq: 999 })).toEqual({ conversationId: c.id, userId: c.b, deliveredSeq: c.lastSeq, readSeq: c.lastSeq });
      expect(await w.chat.as(c.b).markRead({ conversationId: c.id, seq: 2 })).toMatchObject({ readSeq: c.lastSeq });
      expect(await w.chat.as(c.b).markDelivered({ conversationId: c.id, seq: 2 })).toMatchObject({ deliveredSeq: c.lastSeq });
    });

    it('sending moves the sender’s own watermarks to its message, nobody else’s', async () => {
      const w = createWorld(store());
      const c = await conversationWithMessages(w, 2);
      const m = await w.chat.as(c.b).send({ conversationId: c.id, clientId: 'b', text: 'b' });
      const receipts = await w.chat.as(c.a).receipts({ conversationId: c.id });
      const byUser = Object.fromEntries(receipts.map((r) => [r.userId, r]));
      expect(byUser[c.b]).toMatchObject({ readSeq: m.seq, deliveredSeq: m.seq });
      expect(byUser[c.a]).toMatchObject({ readSeq: m.seq - 1, deliveredSeq: m.seq - 1 });
    });

    it('receipts lists current members only; a former member’s marks stop at leftSeq', async () => {
      const w = createWorld(store());
      const c = await conversationWithMessages(w, 3);
      const [x] = await w.users('x');
      await w.chat.as(c.a).addMembers({ conversationId: c.id, userIds: [x!] });
      const left = await w.chat.as(x!).leave({ conversationId: c.id });
      for (const i of range(0, 2)) await w.chat.as(c.a).send({ conversationId: c.id, clientId: `after${i}`, text: 'later' });
      expect((await w.chat.as(c.a).receipts({ conversationId: c.id })).map((r) => r.userId).sort()).toEqual([c.a, c.b].sort());
      const r = await w.chat.as(x!).markRead({ conversationId: c.id, seq: 999 });
      expect(r.readSeq).toBe(left.leftSeq);
    });

    it('the engine emits a receipt event only when a watermark moved', async () => {
      const w = createWorld(store());
      const c = await conversationWithMessages(w, 3);
      const seen: number[] = [];
      w.chat.on('receipt', (r) => seen.push(r.readSeq));
      await w.chat.as(c.b).markRead({ conversationId: c.id, seq: 3 });
      await w.chat.as(c.b).markRead({ conversationId: c.id, seq: 2 });
      await w.chat.as(c.b).markRead({ conversationId: c.id, seq: 4 });
      expect(seen).toEqual([3, 4]);
    });
    it('markDeliveredMany: one request moves each conversation by the rules of markDelivered; unseen ones are skipped alike', async () => {
      const w = createWorld(store());
      const one = await conversationWithMessages(w, 3);
      const two = await w.chat.as(one.a).createGroup({ title: 'R2', memberIds: [one.b] });
      let twoLast = 0;
      for (const i of range(0, 3)) twoLast = (await w.chat.as(one.a).send({ conversationId: two.id, clientId: `t${i}`, text: 'two' })).seq;
      const [x, y] = await w.users('x', 'y');
      const former = await w.chat.as(one.a).createGroup({ title: 'F', memberIds: [one.b] });
      const left = await w.chat.as(one.b).leave({ conversationId: former.id });
      await w.chat.as(one.a).send({ conversationId: former.id, clientId: 'after', text: 'after b left' });
      const secret = await w.chat.as(x!).createGroup({ title: 'S', memberIds: [y!] });
      const seen: string[] = [];
      w.chat.on('receipt', (r) => seen.push(`${r.conversationId}:${r.deliveredSeq}`));
      const res = await w.chat.as(one.b).markDeliveredMany({
        receipts: [
          { conversationId: one.id, seq: 2 },
          { conversationId: secret.id, seq: 1 },
          { conversationId: two.id, seq: 999 },
          { conversationId: 'c_does_not_exist', seq: 1 },
          { conversationId: one.id, seq: 3 },
          { conversationId: former.id, seq: 999 },
        ],
      });
      expect(res.receipts).toEqual([
        { conversationId: one.id, userId: one.b, deliveredSeq: 3, readSeq: 1 },
        { conversationId: two.id, userId: one.b, deliveredSeq: twoLast, readSeq: 1 },
        { conversationId: former.id, userId: one.b, deliveredSeq: left.leftSeq, readSeq: 1 },
      ]);
      // a conversation of others and one that does not exist look the same, and the others still moved
      expect(res.skipped).toEqual([secret.id, 'c_does_not_exist']);
      expect(seen.sort()).toEqual([`${one.id}:3`, `${two.id}:${twoLast}`, `${former.id}:${left.leftSeq}`].sort());
      expect((await w.store.getMember(secret.id, x!))!.deliveredSeq).toBe(1);
      // watermarks never move back, and an unchanged one publishes nothing
      seen.length = 0;
      expect((await w.chat.as(one.b).markDeliveredMany({ receipts: [{ conversationId: one.id, seq: 1 }] })).receipts).toEqual([
        { conversationId: one.id, userId: one.b, deliveredSeq: 3, readSeq: 1 },
      ]);
      expect(seen).toEqual([]);
    });

    it('markDeliveredMany refuses an empty or oversized list and changes nothing', async () => {
      const w = createWorld(store());
      const c = await conversationWithMessages(w, 2);
      const before = await snapshotOf(o, w);
      const many = Array.from({ length: HARD_LIMITS.receiptsPerRequest + 1 }, () => ({ conversationId: c.id, seq: 2 }));
      await expectCode(w.chat.as(c.b).markDeliveredMany({ receipts: many }), 'INVALID');
      await expectCode(w.chat.as(c.b).markDeliveredMany({ receipts: [] }), 'INVALID');
      expect(await snapshotOf(o, w)).toBe(before);
      const max = Array.from({ length: HARD_LIMITS.receiptsPerRequest }, () => ({ conversationId: c.id, seq: 2 }));
      expect((await w.chat.as(c.b).markDeliveredMany({ receipts: max })).receipts).toHaveLength(1);
    });
  });
}
