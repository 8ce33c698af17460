/**
 * Convergence under a slow server: random delays in the store (before and after each call, so a
 * reply can be computed long before it is sent) and in the bus (late subscriptions, late
 * deliveries), against a real ws server. The client's invariant: after any sequence of pushes and
 * syncs, every inbox row (lastSeq, unread, last message) equals the server's within one sync round,
 * and an open conversation equals the server's history.
 */
import { createMemoryPubSub, createMemoryStore, type BusMessage, type ChatStore, type PubSub } from '@parley/core';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { ClientOptions, ParleyClient } from '../src/index.js';
import { TestServer, converged, device, until } from './harness.js';
import { seeded, seedFrom } from '../../../tests/support/random.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
// the delays come from the run's seed (CONVERGENCE_SEED=<n> replays this file's sequence of delays)
const seed = seedFrom('CONVERGENCE_SEED');
console.log(`[convergence] seed ${seed}`);
const random = seeded(seed);
const jitter = (max: number) => (random() < 0.5 ? 0 : random() * max);

/** Every store call waits a random time before it runs and before its result is returned. */
function slowStore(store: ChatStore, maxMs: number): ChatStore {
  return new Proxy(store, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        await sleep(jitter(maxMs));
        const result = (await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args)) as unknown;
        await sleep(jitter(maxMs));
        return result;
      };
    },
  });
}

/**
 * The in-memory bus with a broker's latency: a subscription becomes active some time after it is
 * asked for (what was published meanwhile is lost to it), and deliveries are late but keep the
 * per-topic order.
 */
function slowPubSub(maxMs: number): PubSub {
  const inner = createMemoryPubSub();
  return {
    publish: (topic, message) => inner.publish(topic, message),
    async subscribe(topic, handler) {
      let chain = Promise.resolve();
      const delayed = (m: BusMessage) => {
        const wait = jitter(maxMs);
        chain = chain.then(() => sleep(wait)).then(() => handler(m));
      };
      await sleep(jitter(maxMs));
      return inner.subscribe(topic, delayed);
    },
  };
}

let server: TestServer | undefined;
let clients: ParleyClient[] = [];

afterEach(async () => {
  for (const c of clients) c.close();
  clients = [];
  await server?.stop();
  await server?.chat.close();
  server = undefined;
});

async function start(maxMs: number): Promise<TestServer> {
  server = new TestServer({ store: slowStore(createMemoryStore(), maxMs), pubsub: slowPubSub(maxMs) });
  await server.start();
  await server.chat.upsertUser({ id: 'ben', displayName: 'Ben' });
  return server;
}

describe('convergence with a slow store and bus', () => {
  it('brand-new direct chats: the recipient converges to the server after the first two messages, before and after open()', async () => {
    const s = await start(30);
    const ben = device(s, 'ben', 'ben');
    clients.push(ben);
    await ben.ready();
    for (let i = 0; i < 8; i++) {
      const user = `u${i}`;
      await s.chat.upsertUser({ id: user, displayName: user });
      const sender = device(s, user, `${user}-d`);
      clients.push(sender);
      await sender.ready();
      const dm = await sender.api.openDirect({ userId: 'ben' });
      void sender.open(dm.id);
      const sent = [sender.send({ conversationId: dm.id, text: `${user} one` }), sender.send({ conversationId: dm.id, text: `${user} two` })];
      await Promise.all(sent.map((x) => x.message));
      // the inbox alone (no open conversation) converges: unread 2, the second message as preview
      await until(() => expect(ben.inbox.getSnapshot().byId[dm.id]).toMatchObject({ unread: 2, conversation: { lastSeq: 3, lastMessage: { text: `${user} two` } } }), 5000);
      await converged(s, [[ben, 'ben']], [], 5000);
      await ben.open(dm.id);
      await converged(s, [[ben, 'ben']], [dm.id], 5000);
      sender.close();
    }
  }, 120_000);
});

describe('repair rounds', () => {
  it('an event for a conversation with no inbox row is remembered and re-checked until a sync returns the row', async () => {
    // the store fails every sync while the new conversation's first events are pushed, then heals:
    // the client must not forget that the pushed conversation has no row yet
    const store = createMemoryStore();
    let failing = false;
    const flaky = new Proxy(store, {
      get(target, key, receiver) {
        if (key !== 'changedMemberships') return Reflect.get(target, key, receiver) as unknown;
        return async (input: Parameters<ChatStore['changedMemberships']>[0]) => {
          if (failing) throw new Error('store unavailable');
          return target.changedMemberships(input);
        };
      },
    });
    server = new TestServer({ store: flaky });
    await server.start();
    for (const id of ['ana', 'ben']) await server.chat.upsertUser({ id, displayName: id });
    const ben = device(server, 'ben', 'ben');
    clients.push(ben);
    ben.on('error', () => {});
    await ben.ready();
    failing = true;
    const dm = await server.chat.as('ana').openDirect({ userId: 'ben' });
    for (const text of ['one', 'two']) {
      await server.chat.as('ana').send({ conversationId: dm.id, clientId: text, text });
      await sleep(150); // every push gets its own (failing) sync
    }
    failing = false;
    await until(() => expect(ben.inbox.getSnapshot().byId[dm.id]).toMatchObject({ unread: 2, conversation: { lastSeq: 3 } }), 5000);
    await converged(server, [[ben, 'ben']], []);
  });
});

/** A `ws` WebSocket that records the ops of the requests it sends. */
function recordingWebSocket(ops: string[]): ClientOptions['WebSocket'] {
  class Recording extends WebSocket {
    override send(data: string): void {
      ops.push((JSON.parse(data) as { op: string }).op);
      super.send(data);
    }
  }
  return Recording as unknown as ClientOptions['WebSocket'];
}

describe('delivery receipts for messages that arrive by catch-up', () => {
  const delivered = async (s: TestServer, conversationId: string, userId: string) =>
    (await s.chat.as('ana').receipts({ conversationId })).find((r) => r.userId === userId)?.deliveredSeq;

  it('a resume (sync) and open() mark what arrived as delivered, once; autoDeliver: false sends nothing', async () => {
    server = new TestServer();
    await server.start();
    for (const id of ['ana', 'ben', 'cy']) await server.chat.upsertUser({ id, displayName: id });
    const dm = await server.chat.as('ana').openDirect({ userId: 'ben' });
    const group = await server.chat.as('ana').createGroup({ title: 'g', memberIds: ['ben', 'cy'] });
    for (const text of ['one', 'two']) {
      await server.chat.as('ana').send({ conversationId: dm.id, clientId: `dm-${text}`, text });
      await server.chat.as('ana').send({ conversationId: group.id, clientId: `g-${text}`, text });
    }
    expect(await delivered(server, dm.id, 'ben')).toBeLessThan(2);

    // ben's device was offline: the messages reach it through the resume's sync, not as pushes
    const ops: string[] = [];
    const ben = device(server, 'ben', 'ben', { WebSocket: recordingWebSocket(ops) });
    clients.push(ben);
    await ben.ready();
    const last = async (id: string) => (await server!.chat.as('ben').inbox({})).items.find((e) => e.conversation.id === id)?.conversation.lastSeq;
    await until(async () => expect(await delivered(server!, dm.id, 'ben')).toBe(await last(dm.id)));
    await until(async () => expect(await delivered(server!, group.id, 'ben')).toBe(await last(group.id)));
    await ben.open(dm.id);
    await ben.open(group.id);
    await sleep(200);
    // both conversations came in one sync reply: their receipts went out in one request
    expect(ops.filter((op) => op.startsWith('markDelivered'))).toEqual(['markDeliveredMany']);

    // a device with autoDeliver off leaves the watermark alone, through sync and open() alike
    const cyOps: string[] = [];
    const cy = device(server, 'cy', 'cy', { autoDeliver: false, WebSocket: recordingWebSocket(cyOps) });
    clients.push(cy);
    await cy.ready();
    await cy.open(group.id);
    await sleep(200);
    expect(cyOps.filter((op) => op.startsWith('markDelivered'))).toEqual([]);
    expect(await delivered(server, group.id, 'cy')).toBeLessThan(2);
  });
});
