import { describe, expect, it } from 'vitest';
import type { SyncResult } from '@parley/protocol';
import { createWorld, useStore, type World } from './fixtures.js';
import type { ResolvedStoreOptions } from './options.js';

const BUDGET = 4096;
const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)).length;

/** A victim put into `count` groups with big metadata by another user (the inbox-stuffing attack, scaled down). */
async function stuffed(w: World, count: number) {
  const [victim, attacker] = await w.users('victim', 'attacker');
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const g = await w.chat.as(attacker!).createGroup({ title: `spam ${i}`, memberIds: [victim!], metadata: { junk: 'x'.repeat(1500 + i) } });
    ids.push(g.id);
  }
  return { victim: victim!, attacker: attacker!, ids };
}

/** Every page of one sync, following `nextPage`. */
async function allPages(w: World, user: string, since?: string): Promise<SyncResult[]> {
  const pages: SyncResult[] = [];
  let page: string | undefined;
  for (let guard = 0; guard < 500; guard++) {
    const r = await w.chat.as(user).sync({ ...(since !== undefined ? { since } : {}), ...(page !== undefined ? { page } : {}) });
    pages.push(r);
    if (r.nextPage === null) return pages;
    page = r.nextPage;
  }
  throw new Error('sync did not end');
}

/** Item 9 of the hardening issue: sync and every list reply are paged with a size bound. */
export function pagingSuite(o: ResolvedStoreOptions): void {
  describe('paged, size-bounded list replies', () => {
    const store = useStore(o);

    it('sync pages hold every changed membership exactly once, within the byte budget', async () => {
      const w = createWorld(store(), { limits: { maxReplyBytes: BUDGET, defaultPageSize: 7 } });
      const s = await stuffed(w, 23);
      await w.chat.as(s.victim).setContact({ userId: s.attacker, alias: 'who' });
      const pages = await allPages(w, s.victim);
      expect(pages.length).toBeGreaterThan(3);
      const seen = pages.flatMap((p) => p.entries.map((e) => e.conversation.id));
      expect([...seen].sort()).toEqual([...s.ids].sort());
      expect(new Set(seen).size).toBe(seen.length);
      expect(new Set(pages.map((p) => p.cursor)).size).toBe(1);
      expect(pages.every((p) => p.reset)).toBe(true);
      expect(pages[0]!.contacts.map((c) => c.userId)).toEqual([s.attacker]);
      expect(pages.slice(1).every((p) => p.contacts.length === 0)).toBe(true);
      for (const p of pages) {
        expect(p.entries.length).toBeGreaterThan(0);
        // one entry is ~1.9 KB: a page may pass the budget by at most its last entry
        if (p.entries.length > 1) expect(bytes(p.entries.slice(0, -1))).toBeLessThanOrEqual(BUDGET);
      }
    });

    it('changes committed while a sync is paged are in the next sync', async () => {
      const w = createWorld(store(), { limits: { maxReplyBytes: BUDGET, defaultPageSize: 5 } });
      const s = await stuffed(w, 12);
      const first = await w.chat.as(s.victim).sync({});
      expect(first.nextPage).not.toBeNull();
      w.clock.advance(1000);
      const late = await w.chat.as(s.attacker).createGroup({ title: 'late', memberIds: [s.victim] });
      const rest = [first, ...(await (async () => {
        const out: SyncResult[] = [];
        let page = first.nextPage;
        while (page !== null) {
          const r = await w.chat.as(s.victim).sync({ page });
          out.push(r);
          page = r.nextPage;
        }
        return out;
      })())];
      expect(new Set(rest.map((p) => p.cursor)).size).toBe(1);
      w.clock.advance(120_000);
      const next = await allPages(w, s.victim, first.cursor);
      expect(next.flatMap((p) => p.entries.map((e) => e.conversation.id))).toContain(late.id);
      expect(next[0]!.reset).toBe(false);
    });

    it('a bad page cursor is INVALID', async () => {
      const w = createWorld(store());
      const [u] = await w.users('u');
      await expect(w.chat.as(u!).sync({ page: 'bm90IGpzb24' })).rejects.toMatchObject({ code: 'INVALID' });
    });

    it('inbox, listMembers, listChannels, history and search stop at the byte budget and page on', async () => {
      const w = createWorld(store(), { limits: { maxReplyBytes: BUDGET } });
      const s = await stuffed(w, 9);
      const inbox: string[] = [];
      let cursor: string | null | undefined;
      do {
        const page = await w.chat.as(s.victim).inbox({ limit: 50, ...(cursor ? { cursor } : {}) });
        expect(page.items.length).toBeGreaterThan(0);
        expect(page.items.length).toBeLessThan(9);
        inbox.push(...page.items.map((e) => e.conversation.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect([...inbox].sort()).toEqual([...s.ids].sort());

      const g = s.ids[0]!;
      const long = 'y'.repeat(1500);
      for (let i = 0; i < 8; i++) await w.chat.as(s.attacker).send({ conversationId: g, clientId: `m${i}`, text: `needle ${i} ${long}` });
      const newest = await w.chat.as(s.victim).history({ conversationId: g, limit: 50 });
      expect(newest.hasMore).toBe(true);
      expect(newest.events.length).toBeLessThan(9);
      expect(newest.events[newest.events.length - 1]!.seq).toBe(9);
      const found: number[] = [];
      cursor = undefined;
      do {
        const page = await w.chat.as(s.victim).search({ query: 'needle', limit: 50, ...(cursor ? { cursor } : {}) });
        found.push(...page.items.map((m) => m.seq));
        cursor = page.nextCursor;
      } while (cursor);
      expect(found.sort((a, b) => a - b)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);

      const channels: string[] = [];
      for (let i = 0; i < 4; i++) {
        channels.push((await w.chat.as(s.attacker).createChannel({ title: `chan ${w.id(String(i))}`, metadata: { junk: 'z'.repeat(1500) } })).id);
      }
      const listed: string[] = [];
      cursor = undefined;
      do {
        const page = await w.chat.as(s.victim).listChannels({ query: w.id(''), limit: 50, ...(cursor ? { cursor } : {}) });
        expect(page.items.length).toBeLessThan(4);
        listed.push(...page.items.map((c) => c.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(listed.sort()).toEqual(channels.sort());
    });
  });
}
