import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { localStorageOutbox, type ParleyClient } from '../src/index.js';
import { TestServer, converged, device, heldMessages, serverMessages, until } from './harness.js';

let server: TestServer;
let clients: ParleyClient[] = [];

beforeEach(async () => {
  server = new TestServer();
  await server.start();
  for (const [id, displayName] of [['ana', 'Ana'], ['ben', 'Ben'], ['cy', 'Cy']] as const) await server.chat.upsertUser({ id, displayName });
});

afterEach(async () => {
  for (const c of clients) c.close();
  clients = [];
  await server.stop();
  await server.chat.close();
});

/** Two users, two devices each, with a direct conversation and a group (with cy, who has no device). */
async function setup() {
  const a1 = device(server, 'ana', 'a1');
  const a2 = device(server, 'ana', 'a2');
  const b1 = device(server, 'ben', 'b1');
  const b2 = device(server, 'ben', 'b2');
  clients = [a1, a2, b1, b2];
  await Promise.all(clients.map((c) => c.ready()));
  const dm = await a1.api.openDirect({ userId: 'ben' });
  const group = await a1.api.createGroup({ title: 'Trio', memberIds: ['ben', 'cy'] });
  await until(() => clients.every((c) => c.inbox.getSnapshot().byId[dm.id] && c.inbox.getSnapshot().byId[group.id]));
  await Promise.all(clients.flatMap((c) => [c.open(dm.id), c.open(group.id)]));
  const devices: Array<[ParleyClient, string]> = [[a1, 'ana'], [a2, 'ana'], [b1, 'ben'], [b2, 'ben']];
  return { a1, a2, b1, b2, dm: dm.id, group: group.id, devices };
}

describe('against the real ws server (in-memory store)', () => {
  it('two users × two devices: messages, receipts, unread, typing, presence, edits, deletes, reactions, search', async () => {
    const { a1, a2, b1, b2, dm, group, devices } = await setup();

    const sent = [a1.send({ conversationId: dm, text: 'hello ben' }), a1.send({ conversationId: dm, text: 'are you there' })];
    expect(a1.messages(dm).getSnapshot().messages.map((m) => m.status)).toEqual(['sending', 'sending']);
    await Promise.all(sent.map((s) => s.message));
    b1.send({ conversationId: group, text: 'group hi from ben' });
    a2.send({ conversationId: group, text: 'group hi from ana' });
    await server.chat.as('cy').send({ conversationId: group, clientId: 'cy-1', text: 'cy here' });
    await converged(server, devices, [dm, group]);

    // unread on every device: ben has ana's two DM messages unread on both devices
    expect(b1.inbox.getSnapshot().byId[dm]!.unread).toBe(2);
    expect(b2.inbox.getSnapshot().byId[dm]!.unread).toBe(2);
    expect(a1.inbox.getSnapshot().byId[dm]!.unread).toBe(0);

    // delivered (ben's devices acknowledge receipt automatically), then read on one device
    await until(() => expect(a2.messages(dm).getSnapshot().messages.map((m) => m.status)).toEqual(['delivered', 'delivered']));
    await b1.markRead(dm);
    await until(() => expect(a1.messages(dm).getSnapshot().messages.map((m) => m.status)).toEqual(['read', 'read']));
    await until(() => expect(b2.inbox.getSnapshot().byId[dm]!.unread).toBe(0));

    // group: read by some (ben) vs all (ben and cy)
    const anaGroupMsg = () => a1.messages(group).getSnapshot().messages.find((m) => m.senderId === 'ana')!;
    await b2.markRead(group);
    await until(() => expect(anaGroupMsg().receipt).toMatchObject({ read: 1, recipients: 2 }));
    expect(anaGroupMsg().status).not.toBe('read');
    await server.chat.as('cy').markRead({ conversationId: group, seq: anaGroupMsg().seq! });
    await until(() => expect(anaGroupMsg()).toMatchObject({ status: 'read', receipt: { read: 2, recipients: 2 } }));

    // typing: shown on the other user's devices, not on the typist's other device, expires
    await a1.setTyping(dm);
    await until(() => expect(b1.typing(dm).getSnapshot()).toEqual(['ana']));
    await until(() => expect(b2.typing(dm).getSnapshot()).toEqual(['ana']));
    expect(a2.typing(dm).getSnapshot()).toEqual([]);
    await a1.setTyping(dm, false);
    await until(() => expect(b1.typing(dm).getSnapshot()).toEqual([]));

    // presence
    const [p] = await b1.api.presence({ userIds: ['ana'] });
    expect(p).toMatchObject({ userId: 'ana', online: true });
    expect(b1.presence.getSnapshot().ana?.online).toBe(true);

    // edits, reactions, pins, deletes for everyone and for me
    const [m1, m2] = heldMessages(a1, dm);
    await a1.api.edit({ conversationId: dm, seq: m1!.seq!, text: 'hello ben (edited)' });
    await b2.api.react({ conversationId: dm, seq: m1!.seq!, emoji: '👍' });
    await b1.api.pin({ conversationId: dm, seq: m1!.seq!, pinned: true });
    await a2.api.delete({ conversationId: dm, seq: m2!.seq!, scope: 'everyone' });
    const benGroup = heldMessages(a1, group).find((m) => m.senderId === 'ben')!;
    await a1.api.delete({ conversationId: group, seq: benGroup.seq!, scope: 'me' });
    await converged(server, devices, [dm, group]);
    expect(heldMessages(b1, dm)[0]).toMatchObject({ text: 'hello ben (edited)', reactions: { '👍': ['ben'] }, pinned: true });
    expect(heldMessages(b2, dm)[1]).toMatchObject({ text: null });
    expect(heldMessages(a2, group).some((m) => m.seq === benGroup.seq)).toBe(false);
    expect(heldMessages(b1, group).some((m) => m.seq === benGroup.seq)).toBe(true);

    // search
    const found = await b1.api.search({ query: 'edited' });
    expect(found.items.map((m) => m.text)).toEqual(['hello ben (edited)']);

    // presence goes offline when both of ana's devices leave
    a1.close();
    a2.close();
    await until(() => expect(b1.presence.getSnapshot().ana?.online).toBe(false));
  });

  it('faults: socket killed mid-send, server restart, messages while offline, token expiry — no loss, no duplicate', async () => {
    const { a1, a2, b1, b2, dm, group, devices } = await setup();

    // 1. socket killed mid-send: the frames may or may not have been processed; the outbox retries with the same clientIds
    let drops = 0;
    a1.on('state', (s) => s === 'offline' && drops++);
    const burst = [1, 2, 3].map((n) => a1.send({ conversationId: dm, text: `burst ${n}` }));
    await new Promise((r) => setTimeout(r, 1));
    server.kill('a1');
    await Promise.all(burst.map((s) => s.message));
    expect(drops).toBe(1);
    await converged(server, devices, [dm, group]);
    const texts = (await serverMessages(server.chat, 'ana', dm)).map((m) => m.text);
    expect(texts.filter((t) => t?.startsWith('burst'))).toEqual(['burst 1', 'burst 2', 'burst 3']);

    // 2. server restarted; meanwhile cy and ben write through the engine and ana's device queues messages
    await server.stop();
    await until(() => clients.every((c) => c.state === 'offline' || c.state === 'connecting'));
    for (let i = 0; i < 5; i++) await server.chat.as('ben').send({ conversationId: dm, clientId: `offline-${i}`, text: `while you were away ${i}` });
    await server.chat.as('cy').send({ conversationId: group, clientId: 'cy-away', text: 'cy while down' });
    const queued = a2.send({ conversationId: group, text: 'queued while offline' });
    expect(a2.messages(group).getSnapshot().messages.at(-1)).toMatchObject({ status: 'sending', seq: null });
    await server.start();
    await queued.message;
    await converged(server, devices, [dm, group]);
    expect(a1.inbox.getSnapshot().byId[dm]!.unread).toBe(5);
    expect(b1.inbox.getSnapshot().byId[group]!.unread).toBeGreaterThan(0);

    // 3. a device offline for a while (closed), others keep talking; a fresh client for it catches up
    b2.close();
    for (let i = 0; i < 3; i++) await a1.send({ conversationId: dm, text: `b2 missed ${i}` }).message;
    const b2again = device(server, 'ben', 'b2x');
    clients.push(b2again);
    await b2again.ready();
    await b2again.open(dm);
    await b2again.open(group);

    // 4. token expiry: a connected device's token stops being accepted; after a drop it gets a new one from getToken
    const tokens = ['ana-t1', 'ana-t2'];
    for (const t of tokens) server.tokens.set(t, 'ana');
    let calls = 0;
    const a1b = device(server, 'ana', 'a1b', { getToken: () => tokens[calls++]! });
    clients.push(a1b);
    await a1b.ready();
    await a1b.open(dm);
    server.tokens.delete('ana-t1');
    const states: string[] = [];
    a1b.on('state', (s) => states.push(s));
    server.kill('a1b');
    await until(() => states.includes('ready'));
    expect(calls).toBe(2);
    expect(states).toContain('offline');

    // 5. a server-side resume request
    server.requestResume('test');
    await b1.send({ conversationId: dm, text: 'after resume push' }).message;

    const live: Array<[ParleyClient, string]> = [[a1, 'ana'], [a2, 'ana'], [b1, 'ben'], [b2again, 'ben'], [a1b, 'ana']];
    await converged(server, live.filter(([c]) => c !== a1b), [dm, group]);
    await converged(server, [[a1b, 'ana']], [dm]);
    for (const [c] of live) {
      const seqs = heldMessages(c, dm).map((m) => m.seq);
      expect(new Set(seqs).size).toBe(seqs.length);
    }
    void devices;
  });

  it('inbox and held messages stay bounded by the window; loadOlder pages back', async () => {
    const a = device(server, 'ana', 'w1', { messageWindow: 10, pageSize: 5 });
    clients = [a];
    await a.ready();
    const dm = await a.api.openDirect({ userId: 'ben' });
    for (let i = 0; i < 30; i++) await server.chat.as('ben').send({ conversationId: dm.id, clientId: `w${i}`, text: `m${i}` });
    await a.open(dm.id);
    expect(a.messages(dm.id).getSnapshot().messages).toHaveLength(5);
    for (let i = 30; i < 40; i++) await server.chat.as('ben').send({ conversationId: dm.id, clientId: `w${i}`, text: `m${i}` });
    await until(() => expect(a.messages(dm.id).getSnapshot().messages.at(-1)?.text).toBe('m39'));
    expect(a.messages(dm.id).getSnapshot().messages).toHaveLength(10);
    expect(a.messages(dm.id).getSnapshot().hasOlder).toBe(true);
    await a.loadOlder(dm.id);
    const texts = a.messages(dm.id).getSnapshot().messages.map((m) => m.text);
    expect(texts).toEqual(Array.from({ length: 15 }, (_, i) => `m${i + 25}`));
    await until(async () => expect(a.inbox.getSnapshot().byId[dm.id]!.unread).toBe((await server.chat.as('ana').inbox({})).items[0]!.unread));
  });

  it('outbox persisted in (a fake) localStorage: a message typed before a "reload" is sent once after it', async () => {
    const data = new Map<string, string>();
    const storage = { getItem: (k: string) => data.get(k) ?? null, setItem: (k: string, v: string) => void data.set(k, v), removeItem: (k: string) => void data.delete(k) };
    const first = device(server, 'ana', 'p1', { storage: localStorageOutbox('outbox', storage) });
    clients = [first];
    await first.ready();
    const dm = await first.api.openDirect({ userId: 'ben' });
    await server.stop();
    await until(() => first.state === 'offline');
    const { clientId } = first.send({ conversationId: dm.id, text: 'typed offline' });
    await until(() => expect(JSON.parse(data.get('outbox:ana') ?? '[]')).toHaveLength(1));
    first.close();
    await server.start();
    const second = device(server, 'ana', 'p2', { storage: localStorageOutbox('outbox', storage) });
    clients.push(second);
    await second.open(dm.id);
    await until(() => expect(second.messages(dm.id).getSnapshot().messages.map((m) => [m.clientId, m.status])).toEqual([[clientId, 'sent']]));
    expect(data.has('outbox:ana')).toBe(false);
    expect((await serverMessages(server.chat, 'ana', dm.id)).map((m) => m.clientId)).toEqual([clientId]);
  });
});
