/**
 * Inbox cost for a heavy user (issue 14): a user in `heavy` conversations against a user in 10,
 * same store, same run, samples alternating. Both users and their conversations are made through
 * the store's own `createConversation` and `append` (two-member groups with a W1 user, one message
 * each from the other member), so the rows are whatever the store writes, whatever its schema.
 */
import type { ChatStore } from '@parley/core';
import type { Latency } from '../stats.js';
import { latency, timed } from '../stats.js';
import type { Fixture } from './fixture.js';
import { PARLEY_SCHEMA } from './fixture.js';
import { appendOne } from './sends.js';

/** p50/p99 of an inbox page (20) for each user, and how many rows each page had (must be 20 and 10). */
export interface HeavyInbox {
  heavy: number;
  light: number;
  heavyPage: Latency;
  lightPage: Latency;
  rows: { heavy: number; light: number };
  buildSeconds: number;
}

async function fill(store: ChatStore, f: Fixture, userId: string, count: number, concurrency: number): Promise<void> {
  const now = Date.now();
  await store.upsertUser({ id: userId, displayName: userId, now });
  const append = appendOne(store);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < count; i = next++) {
        const other = f.users[i % f.users.length]!.id;
        const id = `${userId}-c${i}`;
        await store.createConversation({
          id, kind: 'group', title: `${userId} ${i}`, avatarUrl: null, createdBy: userId, metadata: {}, directPair: [],
          members: [{ userId, role: 'owner' }, { userId: other, role: 'member' }], now: now + i,
        });
        await append(id, other);
      }
    }),
  );
}

/** Build both users, then time `samples` inbox pages of each, alternating which goes first. */
export async function measureHeavyInbox(f: Fixture, plan: { heavy: number; samples: number; warmup: number }): Promise<HeavyInbox> {
  const t = Date.now();
  const heavyId = `bench-heavy-${process.pid}`;
  const lightId = `bench-light-${process.pid}`;
  await fill(f.store, f, heavyId, plan.heavy, 8);
  await fill(f.store, f, lightId, 10, 4);
  await f.sql.exec(['conversations', 'members', 'events'].map((t) => `analyze ${PARLEY_SCHEMA}.${t}`).join('; '));
  const buildSeconds = (Date.now() - t) / 1000;
  const page = (userId: string) => f.store.inbox({ userId, limit: 20 });
  const rows = { heavy: (await page(heavyId)).length, light: (await page(lightId)).length };
  for (let i = 0; i < plan.warmup; i++) await Promise.all([page(heavyId), page(lightId)]);
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < plan.samples; i++) {
    if (i % 2 === 0) {
      a.push((await timed(() => page(heavyId))).ms);
      b.push((await timed(() => page(lightId))).ms);
    } else {
      b.push((await timed(() => page(lightId))).ms);
      a.push((await timed(() => page(heavyId))).ms);
    }
  }
  return { heavy: plan.heavy, light: 10, heavyPage: latency(a), lightPage: latency(b), rows, buildSeconds };
}
