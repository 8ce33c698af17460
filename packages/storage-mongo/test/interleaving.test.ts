/**
 * The append's preconditions and the delete's erasure under the interleavings the optimistic design
 * must survive: another writer commits between our state read and our insert (the insert then
 * collides and the retry must re-check), and a writer dies half-way through a delete's projection
 * (the next writer's `settle` must finish it).
 */
import { appendRefused } from '@parley/core';
import type { AppendInput, AppendRefusal, ChatStore } from '@parley/core';
import type { Db } from 'mongodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { createMongoStore } from '../src/index.js';
import { eventId } from '../src/ids.js';
import { type Interceptor, eventInsert, faultyDb, firstMatch, networkError } from './faulty-db.js';
import { groupInput, messageDraft } from './fixtures.js';
import { freshDatabase, useTestServer } from './server.js';

const server = useTestServer();
let db: Db;
/** The store under test, on a database whose calls the test may intercept. */
let store: ChatStore;
/** A well-behaved store on the same database (another process). */
let peer: ChatStore;
let intercept: Interceptor = () => undefined;

beforeEach(async () => {
  db = await freshDatabase(server());
  intercept = () => undefined;
  store = createMongoStore({ db: faultyDb(db, (call) => intercept(call)), capabilities: server().capabilities });
  peer = createMongoStore({ db, capabilities: server().capabilities });
  await peer.createConversation(groupInput('g', ['ann', 'bob', 'cy'], 1000));
});

/**
 * Run `ours` on the store under test while `theirs` commits through the peer right before our
 * first event insert (after our preconditions were read): ours must be refused with `refusal`.
 */
async function refusedAfterInterleaving(ours: AppendInput, theirs: AppendInput, refusal: AppendRefusal): Promise<void> {
  let inserts = 0;
  intercept = (call) => {
    if (!eventInsert(call)) return undefined;
    inserts += 1;
    return inserts === 1 ? peer.append(theirs).then(call.real) : undefined;
  };
  const expected = appendRefused(refusal, ours);
  await expect(store.append(ours)).rejects.toMatchObject({ code: expected.code, message: expected.message });
  expect(inserts, 'our first insert collided with theirs and the retry re-checked').toBe(1);
}

const at = 2000;
const role = (userId: string, r: 'owner' | 'admin' | 'member'): AppendInput => ({
  draft: { type: 'member.role', conversationId: 'g', actorId: 'ann', at, userId, role: r },
  requireActiveMember: 'ann',
});

describe('preconditions when another writer commits between the check and the insert', () => {
  it('an add by an admin demoted meanwhile is refused (actor-role)', async () => {
    await peer.append(role('bob', 'admin'));
    const add: AppendInput = {
      draft: { type: 'member.joined', conversationId: 'g', actorId: 'bob', at, userId: 'dan', role: 'member' },
      requireActiveMember: 'bob',
      actorRoles: ['owner', 'admin'],
    };
    await refusedAfterInterleaving(add, role('bob', 'member'), 'actor-role');
    expect(await peer.getMember('g', 'dan')).toBeNull();
  });

  it('an add that a concurrent add pushed over the limit is refused (member-limit)', async () => {
    const join = (userId: string): AppendInput => ({
      draft: { type: 'member.joined', conversationId: 'g', actorId: 'ann', at, userId, role: 'member' },
      requireActiveMember: 'ann',
      maxMembers: 4,
    });
    await refusedAfterInterleaving(join('dan'), join('eve'), 'member-limit');
    expect(await peer.getConversation('g')).toMatchObject({ memberCount: 4 });
  });

  it('the second of two owners leaving at once is refused (last-owner)', async () => {
    await peer.append(role('bob', 'owner'));
    const leave = (userId: string): AppendInput => ({
      draft: { type: 'member.left', conversationId: 'g', actorId: userId, at, userId, removed: false },
      requireActiveMember: userId,
      keepOwner: true,
    });
    await refusedAfterInterleaving(leave('ann'), leave('bob'), 'last-owner');
    expect(await peer.getMember('g', 'ann')).toMatchObject({ role: 'owner', leftSeq: null });
  });

  it('an edit of a message deleted meanwhile is refused (target-deleted)', async () => {
    const sent = await peer.append({ draft: messageDraft({ conversationId: 'g', senderId: 'ann', at, text: 'v1' }) });
    const target = sent.event.seq;
    const edit: AppendInput = {
      draft: { type: 'message.edited', conversationId: 'g', actorId: 'ann', at, target, text: 'late secret' },
      requireActiveMember: 'ann',
      targetNotDeleted: true,
    };
    const del: AppendInput = { draft: { type: 'message.deleted', conversationId: 'g', actorId: 'ann', at, target }, requireActiveMember: 'ann' };
    await refusedAfterInterleaving(edit, del, 'target-deleted');
    const log = await peer.events({ conversationId: 'g', limit: 20, timelineOnly: false });
    expect(JSON.stringify(log)).not.toContain('late secret');
  });
});

describe('a delete whose writer died half-way', () => {
  /** A message at seq 2 edited twice (seqs 3, 4), as the peer writes them. */
  async function editedMessage(): Promise<number> {
    const sent = await peer.append({ draft: messageDraft({ conversationId: 'g', senderId: 'ann', at, text: 'sent secret' }) });
    for (const text of ['edit secret 1', 'edit secret 2']) {
      await peer.append({ draft: { type: 'message.edited', conversationId: 'g', actorId: 'ann', at, target: sent.event.seq, text }, requireActiveMember: 'ann' });
    }
    const raw = await db.collection('parley_events').findOne({ _id: eventId('g', sent.event.seq) });
    expect(raw?.originalText, 'the read views kept the text as sent').toBe('sent secret');
    return sent.event.seq;
  }

  /** After the next writer settled the delete: no event carries any text of the message, originalText is null. */
  async function expectErased(target: number): Promise<void> {
    await peer.append({ draft: messageDraft({ conversationId: 'g', senderId: 'bob', at: at + 1, text: 'next' }) });
    const log = await peer.events({ conversationId: 'g', limit: 20, timelineOnly: false });
    expect(log.map((e) => e.type)).toEqual(['conversation.created', 'message', 'message.edited', 'message.edited', 'message.deleted', 'message']);
    expect(JSON.stringify(log)).not.toContain('secret');
    expect(log.filter((e) => e.type === 'message.edited').map((e) => (e as { text: string }).text)).toEqual(['', '']);
    const raw = await db.collection('parley_events').findOne({ _id: eventId('g', target) });
    expect(raw?.originalText).toBeNull();
    expect(await peer.originalTexts({ conversationId: 'g', seqs: [target] })).toEqual([]);
  }

  const deleteOf = (target: number): AppendInput => ({ draft: { type: 'message.deleted', conversationId: 'g', actorId: 'ann', at, target }, requireActiveMember: 'ann' });

  const crashPoints: Array<[string, (c: Parameters<Interceptor>[0]) => boolean]> = [
    ['erasing the edit texts', (c) => c.collection.endsWith('events') && c.method === 'updateMany'],
    ['marking the message deleted', (c) => c.collection.endsWith('events') && c.method === 'updateOne'],
    ['advancing the conversation', (c) => c.collection.endsWith('conversations') && c.method === 'updateOne'],
  ];
  for (const [step, match] of crashPoints) {
    it(`dying before ${step}: the next writer finishes the erasure`, async () => {
      const target = await editedMessage();
      intercept = firstMatch(match, () => Promise.reject(networkError()));
      await expect(store.append(deleteOf(target))).rejects.toMatchObject({ name: 'MongoNetworkError' });
      expect(await peer.getConversation('g'), 'the delete is not visible yet').toMatchObject({ lastSeq: 4 });
      await expectErased(target);
    });
  }

  it('originalText is nulled by the update that marks the message deleted, not after the append', async () => {
    const target = await editedMessage();
    intercept = firstMatch((c) => c.collection.endsWith('conversations') && c.method === 'updateOne', () => Promise.reject(networkError()));
    await expect(store.append(deleteOf(target))).rejects.toMatchObject({ name: 'MongoNetworkError' });
    const raw = await db.collection('parley_events').findOne({ _id: eventId('g', target) });
    expect(raw?.message?.deletedAt).toBe(at);
    expect(raw?.originalText).toBeNull();
  });
});
