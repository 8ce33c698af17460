import { describe, expect, it } from 'vitest';
import { topics, type BusMessage } from '../pubsub.js';
import type { ChatStore } from '../store.js';
import { allEvents, createWorld, expectCode, messagesIn, range, seqsOf, useStore, type World } from './fixtures.js';
import type { ResolvedStoreOptions } from './options.js';

/**
 * A user `a` who wrote secrets everywhere a read path can return them: messages, an edited
 * message (its first text and its edit), the last message of a conversation (inbox preview), a
 * message quoted by a reply, a reaction, a group they left before the erasure.
 */
async function scene(w: World) {
  const [a, b, c] = await w.users('a', 'b', 'c');
  await w.chat.as(a!).setContact({ userId: b!, alias: 'bee' });
  await w.chat.as(a!).block({ userId: c! });
  await w.chat.as(b!).setContact({ userId: a!, alias: 'ay' });
  const d = await w.chat.as(a!).openDirect({ userId: b! });
  const quoted = await w.chat.as(a!).send({ conversationId: d.id, clientId: '1', text: 'zanzibar plans' });
  await w.chat.as(b!).send({ conversationId: d.id, clientId: '2', text: 'tell me more', replyTo: quoted.seq });
  const edited = await w.chat.as(a!).send({ conversationId: d.id, clientId: '3', text: 'zanzibar draft' });
  await w.chat.as(a!).edit({ conversationId: d.id, seq: edited.seq, text: 'quokka final' });
  const theirs = await w.chat.as(b!).send({ conversationId: d.id, clientId: '4', text: 'kept by b' });
  await w.chat.as(a!).react({ conversationId: d.id, seq: theirs.seq, emoji: '🔥' });
  const g = await w.chat.as(b!).createGroup({ title: 'club' });
  await w.chat.as(b!).addMembers({ conversationId: g.id, userIds: [a!, c!] });
  await w.chat.as(a!).send({ conversationId: g.id, clientId: 'g1', text: 'zanzibar in the group' });
  const left = await w.chat.as(c!).createGroup({ title: 'old' });
  await w.chat.as(c!).addMembers({ conversationId: left.id, userIds: [a!] });
  await w.chat.as(a!).send({ conversationId: left.id, clientId: 'l1', text: 'zanzibar before leaving' });
  await w.chat.as(a!).leave({ conversationId: left.id });
  // the last message of the direct conversation is a's: its inbox preview holds a secret
  await w.chat.as(a!).send({ conversationId: d.id, clientId: '5', text: 'zanzibar last word' });
  return { a: a!, b: b!, c: c!, d, g, left, quoted, edited, theirs };
}

type Scene = Awaited<ReturnType<typeof scene>>;

/** Everything the other users can read, through every read path, as one string. */
async function readable(w: World, s: Scene): Promise<string> {
  const parts: unknown[] = [];
  for (const viewer of [s.b, s.c]) {
    const me = w.chat.as(viewer);
    parts.push(await me.inbox({}), await me.sync({}));
    for (const query of ['zanzibar', 'quokka', 'plans', 'draft']) parts.push(await me.search({ query }));
    for (const id of viewer === s.b ? [s.d.id, s.g.id] : [s.g.id, s.left.id]) {
      parts.push(await me.history({ conversationId: id }), await me.history({ conversationId: id, after: 0, all: true }));
    }
  }
  for (const id of [s.d.id, s.g.id, s.left.id]) {
    const events = await allEvents(w.store, id);
    parts.push(events, await w.store.mutationsOf({ conversationId: id, targets: seqsOf(events) }));
    parts.push(await w.store.originalTexts({ conversationId: id, seqs: seqsOf(events) }));
    parts.push(await w.store.getConversation(id));
  }
  parts.push(await w.store.getMessage(s.d.id, s.quoted.seq));
  return JSON.stringify(parts);
}

async function activeMemberships(store: ChatStore, userId: string): Promise<string[]> {
  return (await store.changedMemberships({ userId, since: 0 })).filter((r) => r.member.leftSeq === null).map((r) => r.conversation.id);
}

/** Erasure of a user (`chat.eraseUser`): modes, every read path, idempotency, resuming after a crash. */
export function erasureSuite(o: ResolvedStoreOptions): void {
  describe('user erasure', () => {
    const store = useStore(o);

    it('purge: no read path returns the erased content; tombstones keep seq gap-free; contacts, memberships and reactions go', async () => {
      const w = createWorld(store());
      const s = await scene(w);
      const bus: BusMessage[] = [];
      const unsubscribe = await w.chat.pubsub.subscribe(topics.user(s.a), (m) => void bus.push(m));
      expect(await readable(w, s)).toContain('zanzibar');
      const device = { userId: s.a, provider: 'webpush', token: '{"endpoint":"https://push.invalid/zanzibar"}', level: 'all' as const, now: 1, maxPerUser: 10 };
      await w.store.push?.putDevice({ ...device, deviceId: 'phone' });
      await w.store.push?.putDevice({ ...device, deviceId: 'laptop' });
      await w.store.push?.putDevice({ ...device, userId: s.b, deviceId: 'phone' });
      const report = await w.chat.eraseUser(s.a, { mode: 'purge' });
      expect(report).toMatchObject({ alreadyErased: false, conversations: 3, messagesErased: 5, reactionsRemoved: 1, contactsRemoved: 2, pushDevicesRemoved: w.store.push ? 2 : 0 });
      if (w.store.push) expect((await w.store.push.devicesOf([s.a, s.b])).map((x) => `${x.userId}/${x.deviceId}`)).toEqual([`${s.b}/phone`]);
      const seen = await readable(w, s);
      for (const secret of ['zanzibar', 'quokka']) expect(seen).not.toContain(secret);
      expect(seen).toContain('kept by b');
      if (o.snapshot) {
        const raw = JSON.stringify(await o.snapshot(w.store));
        for (const secret of ["zanzibar", "quokka"]) expect(raw.match(new RegExp(`.{300}${secret}.{100}`, "g")) ?? []).toEqual([]);
      }
      for (const id of [s.d.id, s.g.id, s.left.id]) {
        const events = await allEvents(w.store, id);
        expect(seqsOf(events)).toEqual(range(1, (await w.store.getConversation(id))!.lastSeq));
        for (const m of messagesIn(events).filter((x) => x.senderId === s.a && x.kind !== 'system')) expect(m).toMatchObject({ text: null, deletedAt: expect.any(Number) });
      }
      expect((await w.store.getMessage(s.d.id, s.theirs.seq))!.reactions).toEqual({});
      expect(await w.store.listContacts(s.a)).toEqual([]);
      expect(await w.store.getContact(s.b, s.a)).toMatchObject({ alias: 'ay' }); // b's address book is b's data
      expect(await activeMemberships(w.store, s.a)).toEqual([]);
      const [profile] = await w.store.getUsers([s.a]);
      expect(profile).toMatchObject({ displayName: 'Deleted user', avatarUrl: null, statusText: null });
      expect(bus).toContainEqual({ t: 'user.erased', userId: s.a });
      await unsubscribe();
      // cannot come back: connect refused, no one can open a conversation with or as the user
      await expectCode(w.chat.connect(s.a, 'device-2'), 'FORBIDDEN');
      await expectCode(w.chat.as(s.b).openDirect({ userId: s.a }), 'NOT_FOUND');
      await expectCode(w.chat.as(s.b).addMembers({ conversationId: s.g.id, userIds: [s.a] }), 'NOT_FOUND');
      await expectCode(w.chat.as(s.a).createGroup({ title: 'back' }), 'NOT_FOUND');
      await expectCode(w.chat.upsertUser({ id: s.a, displayName: 'a again' }), 'FORBIDDEN'); // the host cannot bring the profile back
      // b's unread counts still count the tombstones (the definition of unread is unchanged)
      expect((await w.chat.as(s.b).inbox({})).items.find((e) => e.conversation.id === s.d.id)!.conversation.lastMessage).toMatchObject({ text: null, deleted: true });
    });

    it('is idempotent: a second run does nothing', async () => {
      const w = createWorld(store());
      const s = await scene(w);
      await w.chat.eraseUser(s.a, { mode: 'purge' });
      const before = await Promise.all([s.d.id, s.g.id, s.left.id].map(async (id) => (await w.store.getConversation(id))!.lastSeq));
      expect(await w.chat.eraseUser(s.a, { mode: 'purge' })).toMatchObject({ alreadyErased: true, messagesErased: 0 });
      expect(await w.chat.eraseUser(s.a, { mode: 'anonymize' })).toMatchObject({ alreadyErased: true });
      expect(await Promise.all([s.d.id, s.g.id, s.left.id].map(async (id) => (await w.store.getConversation(id))!.lastSeq))).toEqual(before);
      await expectCode(w.chat.eraseUser(w.id('nobody'), { mode: 'purge' }), 'NOT_FOUND');
      await expectCode(w.chat.eraseUser(s.b, { mode: 'shred' as 'purge' }), 'INVALID');
    });

    it('anonymize keeps the messages (content kept, or erased with eraseContent) under a "Deleted user" profile', async () => {
      const w = createWorld(store());
      const s = await scene(w);
      const report = await w.chat.eraseUser(s.a, { mode: 'anonymize' });
      expect(report).toMatchObject({ messagesErased: 0, reactionsRemoved: 0, conversations: 3 });
      expect(messagesIn(await allEvents(w.store, s.g.id)).find((m) => m.senderId === s.a)!.text).toBe('zanzibar in the group');
      expect((await w.store.getMessage(s.d.id, s.theirs.seq))!.reactions).toEqual({ '🔥': [s.a] });
      expect(await activeMemberships(w.store, s.a)).toEqual([]);
      expect((await w.store.getUsers([s.a]))[0]!.displayName).toBe('Deleted user');
      await expectCode(w.chat.connect(s.a, 'x'), 'FORBIDDEN');
      // a stronger erasure later still runs
      expect(await w.chat.eraseUser(s.a, { mode: 'anonymize', eraseContent: true })).toMatchObject({ alreadyErased: false, messagesErased: 5 });
      const seen = await readable(w, s);
      expect(seen).not.toContain('zanzibar');
      expect(seen).toContain('🔥'); // anonymize leaves reactions in place
    });

    it('resumes after a crash midway: the rerun finishes, nothing is deleted twice', async () => {
      const w = createWorld(store());
      const s = await scene(w);
      const real = w.store;
      let deletes = 0;
      const crashing: ChatStore = new Proxy(real, {
        get(target, prop, receiver) {
          const value = Reflect.get(target, prop, receiver) as unknown;
          if (prop !== 'append' || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
          return async (input: Parameters<ChatStore['append']>[0]) => {
            if (input.draft.type === 'message.deleted' && ++deletes === 3) throw new Error('crash: process killed');
            return (value as ChatStore['append']).call(target, input);
          };
        },
      });
      const crashed = createWorld(crashing);
      await expectCode(crashed.chat.eraseUser(s.a, { mode: 'purge' }), 'UNAVAILABLE');
      await expectCode(w.chat.connect(s.a, 'device'), 'FORBIDDEN'); // the marker came first
      const resumed = await w.chat.eraseUser(s.a, { mode: 'purge' });
      expect(resumed.alreadyErased).toBe(false);
      expect(resumed.messagesErased).toBe(3); // 2 before the crash, 3 after
      const seen = await readable(w, s);
      expect(seen).not.toContain('zanzibar');
      for (const id of [s.d.id, s.g.id, s.left.id]) {
        const targets = (await allEvents(w.store, id)).flatMap((e) => (e.type === 'message.deleted' ? [e.target] : []));
        expect(new Set(targets).size).toBe(targets.length);
      }
      expect(await w.chat.eraseUser(s.a, { mode: 'purge' })).toMatchObject({ alreadyErased: true });
    });
  });
}
