import { describe, expect, it } from 'vitest';
import { exportLines, type ExportRecord } from '../lifecycle/export.js';
import type { ChatStore } from '../store.js';
import { createWorld, expectCode, useStore } from './fixtures.js';
import type { ResolvedStoreOptions } from './options.js';

async function collect(records: AsyncIterable<ExportRecord>): Promise<ExportRecord[]> {
  const out: ExportRecord[] = [];
  for await (const r of records) out.push(r);
  return out;
}

const ofType = <T extends ExportRecord['type']>(records: ExportRecord[], type: T) =>
  records.filter((r): r is Extract<ExportRecord, { type: T }> => r.type === type);

/** A store whose paged reads record the largest page asked for. */
function pageWatch(store: ChatStore): { store: ChatStore; largest: () => number } {
  let largest = 0;
  const paged = new Set(['events', 'changedMemberships', 'listCalls']);
  const watched = new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const limit = (args[0] as { limit?: number } | undefined)?.limit;
        if (paged.has(String(prop))) largest = Math.max(largest, limit ?? Number.POSITIVE_INFINITY);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: watched, largest: () => largest };
}

/** Export of a user's data (`chat.exportUser`): every kind of record, windows, paging. */
export function exportSuite(o: ResolvedStoreOptions): void {
  describe('user export', () => {
    const store = useStore(o);

    it('holds the profile, contacts and blocks, memberships with windows, own messages with edits, reactions, hidden seqs and calls', async () => {
      const watch = pageWatch(store());
      const w = createWorld(watch.store);
      const [a, b, c] = await w.users('a', 'b', 'c');
      await w.chat.as(a!).setContact({ userId: b!, alias: 'bee' });
      await w.chat.as(a!).block({ userId: c! });
      const d = await w.chat.as(a!).openDirect({ userId: b! });
      const first = await w.chat.as(a!).send({ conversationId: d.id, clientId: '1', text: 'draft one' });
      w.clock.advance(10);
      await w.chat.as(a!).edit({ conversationId: d.id, seq: first.seq, text: 'final one' });
      const gone = await w.chat.as(a!).send({ conversationId: d.id, clientId: '2', text: 'regret' });
      await w.chat.as(a!).delete({ conversationId: d.id, seq: gone.seq, scope: 'everyone' });
      const theirs = await w.chat.as(b!).send({ conversationId: d.id, clientId: '3', text: 'from b' });
      await w.chat.as(a!).react({ conversationId: d.id, seq: theirs.seq, emoji: '👍' });
      await w.chat.as(a!).delete({ conversationId: d.id, seq: theirs.seq, scope: 'me' });
      const g = await w.chat.as(b!).createGroup({ title: 'club' });
      await w.chat.as(b!).addMembers({ conversationId: g.id, userIds: [a!] });
      await w.chat.as(a!).send({ conversationId: g.id, clientId: 'g1', text: 'in window one' });
      await w.chat.as(a!).leave({ conversationId: g.id });
      await w.chat.as(b!).send({ conversationId: g.id, clientId: 'g2', text: 'while a was away' });
      await w.chat.as(b!).addMembers({ conversationId: g.id, userIds: [a!] });
      await w.chat.as(a!).send({ conversationId: g.id, clientId: 'g3', text: 'in window two' });
      const call = await w.chat.as(a!).startCall({ conversationId: d.id, media: 'audio' });
      await w.chat.as(a!).endCall({ callId: call.id });
      for (let i = 0; i < 5; i++) await w.chat.as(b!).send({ conversationId: d.id, clientId: `pad${i}`, text: `pad ${i}` });

      const records = await collect(w.chat.exportUser(a!, { pageSize: 2 }));
      expect(watch.largest()).toBe(2);
      expect(records[0]).toMatchObject({ type: 'header', format: 'parley.user-export', version: 1, userId: a, exportedAt: w.clock.now() });
      expect(records.at(-1)).toMatchObject({ type: 'end' });
      expect(ofType(records, 'profile').map((r) => r.user.id)).toEqual([a]);
      expect(ofType(records, 'contact').map((r) => [r.contact.userId, r.contact.alias, r.contact.blocked])).toEqual([
        [b, 'bee', false],
        [c, null, true],
      ]);
      const memberships = ofType(records, 'membership');
      expect(memberships.map((m) => m.conversationId).sort()).toEqual([d.id, g.id].sort());
      const group = memberships.find((m) => m.conversationId === g.id)!;
      expect(group.windows).toHaveLength(2);
      expect(group.windows[0]!.leftSeq).not.toBeNull();
      expect(group.windows[1]!.leftSeq).toBeNull();
      const messages = ofType(records, 'message');
      expect(messages.every((m) => m.message.senderId === a)).toBe(true);
      const texts = messages.filter((m) => m.message.kind !== 'call').map((m) => m.message.text);
      expect(texts.sort()).toEqual(['final one', 'in window one', 'in window two', null].sort());
      expect(messages.find((m) => m.message.seq === first.seq && m.message.conversationId === d.id)).toMatchObject({ originalText: 'draft one' });
      expect(messages.find((m) => m.message.seq === gone.seq && m.message.conversationId === d.id)!.message).toMatchObject({ text: null, deletedAt: expect.any(Number) });
      expect(ofType(records, 'edit').map((e) => [e.target, e.text])).toEqual([[first.seq, 'final one']]);
      expect(ofType(records, 'reaction')).toEqual([{ type: 'reaction', conversationId: d.id, target: theirs.seq, emoji: '👍' }]);
      expect(ofType(records, 'hidden')).toEqual([{ type: 'hidden', conversationId: d.id, seqs: [theirs.seq] }]);
      expect(ofType(records, 'call').map((r) => [r.call.id, r.call.status])).toEqual([[call.id, 'cancelled']]);
      const end = records.at(-1) as Extract<ExportRecord, { type: 'end' }>;
      expect(end.counts.message).toBe(messages.length);
      const json = JSON.stringify(records);
      expect(json).not.toContain('while a was away');
      expect(json).not.toContain('pad 0');

      const lines: string[] = [];
      for await (const line of exportLines(w.chat.exportUser(a!))) lines.push(line);
      expect(lines.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown)).toEqual(records);
    });

    it('an unknown user is NOT_FOUND', async () => {
      const w = createWorld(store());
      await expectCode(collect(w.chat.exportUser(w.id('nobody'))), 'NOT_FOUND');
    });
  });
}
