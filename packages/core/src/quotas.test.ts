import { describe, expect, it } from 'vitest';
import { createChat } from './chat.js';
import { isChatError } from './errors.js';
import { createMemoryStore } from './memory-store.js';
import { createManualClock } from './testing/fixtures.js';

async function world(quotas: Parameters<typeof createChat>[0]['limits'] = {}) {
  const clock = createManualClock();
  const chat = createChat({ store: createMemoryStore(), clock, limits: quotas });
  const ids = Array.from({ length: 40 }, (_, i) => `u${i}`);
  for (const id of ['flooder', 'victim', ...ids]) await chat.upsertUser({ id, displayName: id });
  return { chat, clock, ids };
}

const rejection = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (error) {
    if (isChatError(error)) return error;
    throw error;
  }
  throw new Error('expected a ChatError');
};

describe('per-user quotas', () => {
  it('conversations created: counted across all of a user’s sessions, refused with RATE_LIMITED and a retry time', async () => {
    const { chat, clock } = await world({ quotas: { conversationsCreated: { limit: 5, windowMs: 60_000 } } });
    // five "connections" of the same user share one bucket
    const sessions = Array.from({ length: 5 }, () => chat.as('flooder'));
    for (const s of sessions) await s.createGroup({ title: 'g', memberIds: ['victim'] });
    const refused = await rejection(sessions[0]!.createChannel({ title: 'one too many' }));
    expect(refused.code).toBe('RATE_LIMITED');
    expect(refused.retryAfterMs).toBe(12_000);
    // nothing was created by the refused call, and the victim's inbox holds only the five
    expect((await chat.as('victim').inbox({})).items).toHaveLength(5);
    // another user is not affected
    await chat.as('victim').createChannel({ title: 'mine' });
    clock.advance(12_000);
    await sessions[1]!.createChannel({ title: 'after the wait' });
  });

  it('members added: one huge group, then adds, are bounded; a cost above the quota is INVALID', async () => {
    const { chat, ids } = await world({ quotas: { membersAdded: { limit: 30, windowMs: 3600_000 } } });
    const tooMany = await rejection(chat.as('flooder').createGroup({ title: 'big', memberIds: ids }));
    expect(tooMany.code).toBe('INVALID');
    const g = await chat.as('flooder').createGroup({ title: 'big', memberIds: ids.slice(0, 25) });
    expect(g.memberCount).toBe(26);
    const refused = await rejection(chat.as('flooder').addMembers({ conversationId: g.id, userIds: ids.slice(25, 35) }));
    expect(refused.code).toBe('RATE_LIMITED');
    expect((await chat.as('flooder').getConversation({ conversationId: g.id })).conversation.memberCount).toBe(26);
  });

  it('metadata bytes: big metadata on many conversations is bounded', async () => {
    const { chat } = await world({ quotas: { metadataBytes: { limit: 40_000, windowMs: 3600_000 } } });
    const blob = { pad: 'x'.repeat(15_000) };
    await chat.as('flooder').createChannel({ title: 'a', metadata: blob });
    await chat.as('flooder').createChannel({ title: 'b', metadata: blob });
    expect((await rejection(chat.as('flooder').createChannel({ title: 'c', metadata: blob }))).code).toBe('RATE_LIMITED');
  });

  it('server code can opt out with as(user, { unlimited: true }); the defaults allow normal use', async () => {
    const { chat } = await world({ quotas: { conversationsCreated: { limit: 1, windowMs: 60_000 } } });
    for (let i = 0; i < 3; i++) await chat.as('flooder', { unlimited: true }).createChannel({ title: `seeded ${i}` });
    const defaults = await world();
    for (let i = 0; i < 20; i++) await defaults.chat.as('victim').createGroup({ title: `g${i}`, memberIds: defaults.ids.slice(0, 10) });
  });
});
