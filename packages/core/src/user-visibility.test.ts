import type { User } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { createChat } from './chat.js';
import { createMemoryStore } from './memory-store.js';
import { createManualClock } from './testing.js';

/**
 * lastSeenAt is presence data: every path that returns a User shows it only to those the
 * `presence` op would show it to (self, contacts, conversation peers; never across a block).
 */
describe('lastSeenAt follows the presence rule on every path that returns a user', () => {
  async function setup() {
    const clock = createManualClock();
    const chat = createChat({ store: createMemoryStore(), clock });
    // ben: a peer (DM); eve: a contact only; cy: a stranger; dan: a peer ana blocked
    const ids = ['ana', 'ben', 'cy', 'dan', 'eve'];
    for (const id of ids) await chat.upsertUser({ id, displayName: `Person ${id}` });
    await chat.as('ana').openDirect({ userId: 'ben' });
    await chat.as('ana').openDirect({ userId: 'dan' });
    await chat.as('ana').setContact({ userId: 'eve' });
    await chat.as('ana').block({ userId: 'dan' });
    for (const id of ids) {
      clock.advance(1000);
      await chat.connect(id, `c-${id}`);
      await chat.disconnect(id, `c-${id}`);
    }
    return { chat };
  }
  const seen = (users: User[]) => Object.fromEntries(users.map((u) => [u.id, u.lastSeenAt !== null]));
  const expected = { ana: true, ben: true, cy: false, dan: false, eve: true };

  it('getUsers, searchUsers, me, updateProfile, inbox and sync peers agree with presence', async () => {
    const { chat } = await setup();
    const ana = chat.as('ana');
    const everyone = Object.keys(expected);
    expect(seen(await ana.getUsers({ ids: everyone }))).toEqual(expected);
    expect(seen(await ana.searchUsers({ query: 'person' }))).toEqual(expected);
    expect((await ana.me()).lastSeenAt).not.toBeNull();
    expect((await ana.updateProfile({ statusText: 'hi' })).lastSeenAt).not.toBeNull();
    const peersOf = (entries: Array<{ peer: User | null }>) => seen(entries.flatMap((e) => (e.peer ? [e.peer] : [])));
    expect(peersOf((await ana.inbox()).items)).toEqual({ ben: true, dan: false });
    expect(peersOf((await ana.sync({})).entries)).toEqual({ ben: true, dan: false });
    // the same rule as the presence op
    const presence = await ana.presence({ userIds: everyone });
    expect(Object.fromEntries(everyone.map((id) => [id, presence.some((p) => p.userId === id && p.lastSeenAt !== null)]))).toEqual(expected);
  });

  it('the blocked user does not see the blocker\'s lastSeenAt either, nor does a stranger', async () => {
    const { chat } = await setup();
    expect(seen(await chat.as('dan').getUsers({ ids: ['ana'] }))).toEqual({ ana: false });
    expect(seen(await chat.as('dan').searchUsers({ query: 'person ana' }))).toEqual({ ana: false });
    expect((await chat.as('dan').inbox()).items.map((e) => e.peer?.lastSeenAt ?? null)).toEqual([null]);
    expect(seen(await chat.as('cy').getUsers({ ids: ['ana', 'ben'] }))).toEqual({ ana: false, ben: false });
    // profiles themselves stay visible
    expect((await chat.as('cy').getUsers({ ids: ['ana'] }))[0]?.displayName).toBe('Person ana');
  });
});
