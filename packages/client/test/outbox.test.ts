import { createMemoryStore, type ChatStore } from '@parley/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { localStorageOutbox, type OutboxStorage, type ParleyClient } from '../src/index.js';
import { TestServer, device, serverMessages, until } from './harness.js';

/** A memory store whose every call fails (as a stopped database does) while `down` is true. */
function flakyStore(): { store: ChatStore; setDown(down: boolean): void } {
  const inner = createMemoryStore();
  let down = false;
  const store = new Proxy(inner, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== 'function' || key === 'close') return value;
      return (...args: unknown[]) => {
        if (down) return Promise.reject(new Error('connection refused (database stopped)'));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store, setDown: (d) => void (down = d) };
}

/** A fake `localStorage` (what two users signing in one after the other in one browser share). */
function sharedLocalStorage() {
  const data = new Map<string, string>();
  const storage = { getItem: (k: string) => data.get(k) ?? null, setItem: (k: string, v: string) => void data.set(k, v), removeItem: (k: string) => void data.delete(k) };
  return { data, outbox: (): OutboxStorage => localStorageOutbox('outbox', storage) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('outbox items belong to the user who wrote them', () => {
  let server: TestServer;
  let clients: ParleyClient[] = [];
  let group: string;

  beforeEach(async () => {
    server = new TestServer();
    await server.start();
    for (const id of ['ana', 'ben']) await server.chat.upsertUser({ id, displayName: id });
    group = (await server.chat.as('ana').createGroup({ title: 'both', memberIds: ['ben'] })).id;
  });

  afterEach(async () => {
    for (const c of clients) c.close();
    clients = [];
    await server.stop();
    await server.chat.close();
  });

  it('a message typed before the first authentication is never sent as the next user on the same storage', async () => {
    const shared = sharedLocalStorage();
    await server.stop();
    // ana's page loads while the server is unreachable; she types, then closes the tab
    const ana = device(server, 'ana', 'ana-offline', { storage: shared.outbox() });
    clients.push(ana);
    ana.send({ conversationId: group, text: 'from ana, typed before auth' });
    await sleep(100);
    ana.close();
    await server.start();
    // ben signs in on the same browser
    const ben = device(server, 'ben', 'ben-next', { storage: shared.outbox() });
    clients.push(ben);
    await ben.ready();
    await ben.open(group);
    await sleep(300);
    const texts = (await serverMessages(server.chat, 'ben', group)).map((m) => `${m.senderId}: ${m.text}`);
    expect(texts).toEqual([]);
    expect(ben.outbox.getSnapshot()).toEqual([]);
    expect(ben.messages(group).getSnapshot().messages).toEqual([]);
  });

  it("another user's persisted messages are neither read nor sent nor lost: they go out when their user is back", async () => {
    const shared = sharedLocalStorage();
    const ana = device(server, 'ana', 'ana-1', { storage: shared.outbox() });
    clients.push(ana);
    await ana.ready();
    await server.stop();
    await until(() => ana.state === 'offline');
    const { clientId } = ana.send({ conversationId: group, text: 'ana offline' });
    await sleep(50);
    ana.close();
    await server.start();

    const ben = device(server, 'ben', 'ben-1', { storage: shared.outbox() });
    clients.push(ben);
    await ben.ready();
    await ben.open(group);
    ben.send({ conversationId: group, text: 'ben here' });
    await until(() => expect(ben.outbox.getSnapshot()).toEqual([]));
    expect(ben.messages(group).getSnapshot().messages.map((m) => [m.senderId, m.text])).toEqual([['ben', 'ben here']]);
    ben.close();

    const again = device(server, 'ana', 'ana-2', { storage: shared.outbox() });
    clients.push(again);
    await again.open(group);
    await until(async () => expect((await serverMessages(server.chat, 'ana', group)).map((m) => [m.senderId, m.text, m.clientId])).toEqual([['ben', 'ben here', expect.any(String)], ['ana', 'ana offline', clientId]]));
  });

  it('with the userId option, messages typed before the first connection are saved under that user and sent as them after a reload', async () => {
    const shared = sharedLocalStorage();
    await server.stop();
    const ana = device(server, 'ana', 'ana-known', { storage: shared.outbox(), userId: 'ana' });
    clients.push(ana);
    const { clientId } = ana.send({ conversationId: group, text: 'saved before auth' });
    await until(() => expect(JSON.parse(shared.data.get('outbox:ana') ?? '[]')).toMatchObject([{ clientId, userId: 'ana' }]));
    ana.close();
    await server.start();
    const ben = device(server, 'ben', 'ben-known', { storage: shared.outbox(), userId: 'ben' });
    clients.push(ben);
    await ben.ready();
    expect(ben.outbox.getSnapshot()).toEqual([]);
    const again = device(server, 'ana', 'ana-known-2', { storage: shared.outbox(), userId: 'ana' });
    clients.push(again);
    await again.open(group);
    await until(() => expect(again.outbox.getSnapshot()).toEqual([]));
    expect((await serverMessages(server.chat, 'ben', group)).map((m) => [m.senderId, m.clientId])).toEqual([['ana', clientId]]);
    expect(shared.data.has('outbox:ana')).toBe(false);
  });

  it('the token turns out to be another user than the userId option: the items stay parked for their user', async () => {
    const shared = sharedLocalStorage();
    await server.stop();
    const c = device(server, 'ben', 'mismatch', { storage: shared.outbox(), userId: 'ana' }); // a ben token, app thought ana
    clients.push(c);
    const h = c.send({ conversationId: group, text: 'meant as ana' });
    await until(() => shared.data.has('outbox:ana'));
    await server.start();
    await c.ready();
    await expect(h.message).rejects.toMatchObject({ code: 'SIGNED_OUT' });
    expect(c.userId).toBe('ben');
    expect(c.outbox.getSnapshot()).toEqual([]);
    await sleep(200);
    expect(await serverMessages(server.chat, 'ben', group)).toEqual([]);
    expect(JSON.parse(shared.data.get('outbox:ana')!)).toMatchObject([{ clientId: h.clientId, userId: 'ana', status: 'sending' }]);
  });

  it('switching users on one client (getToken now returns the next user): the first user\'s queued message is parked, not sent', async () => {
    const shared = sharedLocalStorage();
    server.tokens.set('ana-tok', 'ana');
    server.tokens.set('ben-tok', 'ben');
    let signedIn = 'ana-tok';
    const c = device(server, 'ana', 'switch', { storage: shared.outbox(), getToken: () => signedIn });
    clients.push(c);
    await c.ready();
    expect(c.userId).toBe('ana');
    await server.stop();
    await until(() => c.state === 'offline');
    const h = c.send({ conversationId: group, text: 'ana, queued' });
    // ana signs out in the host app, ben signs in; the old token is revoked
    server.tokens.delete('ana-tok');
    signedIn = 'ben-tok';
    await server.start();
    await until(() => c.state === 'ready' && c.userId === 'ben');
    await expect(h.message).rejects.toMatchObject({ code: 'SIGNED_OUT' });
    expect(c.outbox.getSnapshot()).toEqual([]);
    const mine = c.send({ conversationId: group, text: 'ben, live' });
    await mine.message;
    expect((await serverMessages(server.chat, 'ben', group)).map((m) => [m.senderId, m.text])).toEqual([['ben', 'ben, live']]);
    expect(JSON.parse(shared.data.get('outbox:ana')!)).toMatchObject([{ clientId: h.clientId, userId: 'ana' }]);
  });

  it('signOut(): parks the user\'s messages for their next sign-in, or removes them with discardOutbox; unbound ones are dropped', async () => {
    const shared = sharedLocalStorage();
    const ana = device(server, 'ana', 'so-1', { storage: shared.outbox() });
    clients.push(ana);
    await ana.ready();
    await server.stop();
    await until(() => ana.state === 'offline');
    const kept = ana.send({ conversationId: group, text: 'kept' });
    await ana.signOut();
    await expect(kept.message).rejects.toMatchObject({ code: 'SIGNED_OUT' });
    expect(ana.state).toBe('closed');
    expect(JSON.parse(shared.data.get('outbox:ana')!)).toMatchObject([{ clientId: kept.clientId }]);

    // a client that never authenticated: its message was only in memory, and signOut drops it
    const early = device(server, 'ana', 'so-2', { storage: shared.outbox() });
    clients.push(early);
    const dropped = early.send({ conversationId: group, text: 'dropped' });
    await early.signOut();
    await expect(dropped.message).rejects.toMatchObject({ code: 'SIGNED_OUT' });
    expect(JSON.parse(shared.data.get('outbox:ana')!).map((i: { clientId: string }) => i.clientId)).toEqual([kept.clientId]);

    // a shared computer: signing out with discardOutbox removes what is left
    const third = device(server, 'ana', 'so-3', { storage: shared.outbox(), userId: 'ana' });
    clients.push(third);
    await until(() => third.outbox.getSnapshot().length === 1);
    await third.signOut({ discardOutbox: true });
    expect(shared.data.has('outbox:ana')).toBe(false);
    await server.start();
    const fourth = device(server, 'ana', 'so-4', { storage: shared.outbox() });
    clients.push(fourth);
    await fourth.ready();
    await sleep(200);
    expect(fourth.outbox.getSnapshot()).toEqual([]);
    expect(await serverMessages(server.chat, 'ana', group)).toEqual([]);
  });
});

describe('outbox under a store outage', () => {
  let server: TestServer;
  let flaky: ReturnType<typeof flakyStore>;
  let clients: ParleyClient[] = [];

  beforeEach(async () => {
    flaky = flakyStore();
    server = new TestServer({ store: flaky.store });
    await server.start();
    for (const id of ['ana', 'ben']) await server.chat.upsertUser({ id, displayName: id });
  });

  afterEach(async () => {
    for (const c of clients) c.close();
    clients = [];
    await server.stop();
    await server.chat.close();
  });

  it('UNAVAILABLE for 4 s while the user keeps typing: nothing fails, nothing is reordered, the backoff is kept', async () => {
    const ana = device(server, 'ana', 'ana-outage'); // default maxSendAttempts (5)
    clients.push(ana);
    await ana.ready();
    const dm = (await ana.api.openDirect({ userId: 'ben' })).id;
    const failed: string[] = [];
    const handles: Array<{ clientId: string; message: Promise<unknown> }> = [];
    const sends: number[] = [];
    flaky.setDown(true);
    const outageEnds = Date.now() + 4000;
    for (let n = 0; Date.now() < outageEnds; n++) {
      const h = ana.send({ conversationId: dm, text: `m${n}` });
      h.message.catch((e: { code?: string }) => failed.push(`m${n}: ${e.code}`));
      handles.push(h);
      sends.push(Date.now());
      await sleep(100);
    }
    const attemptsDuringOutage = Math.max(...ana.outbox.getSnapshot().map((i) => i.attempts));
    flaky.setDown(false);
    await until(() => expect(ana.outbox.getSnapshot()).toEqual([]), 20_000);
    await Promise.allSettled(handles.map((h) => h.message));
    expect(failed).toEqual([]);
    const stored = (await serverMessages(server.chat, 'ana', dm)).map((m) => m.text);
    expect(stored).toEqual(handles.map((_, n) => `m${n}`));
    // the head of the queue was retried with a backoff, not once per new send (~40 sends in 4 s)
    expect(attemptsDuringOutage).toBeLessThan(12);
  }, 40_000);
});
