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
