import { afterEach, describe, expect, it } from 'vitest';
import type { BusMessage, PubSub } from '../pubsub.js';
import type { PubSubConformanceOptions } from './options.js';

let topicCounter = 0;
const topic = (name: string) => `conformance:${Date.now().toString(36)}:${(topicCounter++).toString(36)}:${name}`;

const typing = (n: number, userId = 'u'): BusMessage => ({ t: 'typing', conversationId: 'c', userId, typing: n % 2 === 0, expiresInMs: n });

/** Collects what a handler receives and resolves when enough arrived (or fails after a timeout). */
function collector(timeoutMs = 5000) {
  const got: BusMessage[] = [];
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  return {
    got,
    handler: (m: BusMessage) => {
      got.push(m);
      for (const w of waiters.filter((x) => got.length >= x.n)) w.resolve();
    },
    until(n: number): Promise<BusMessage[]> {
      if (got.length >= n) return Promise.resolve(got);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`received ${got.length} of ${n} messages within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({ n, resolve: () => (clearTimeout(timer), resolve(got)) });
      });
    },
  };
}

/** Wait long enough for a message that should not arrive to show up if the bus were wrong. */
const settle = (ms = 150) => new Promise((r) => setTimeout(r, ms));

/**
 * Register the pub/sub conformance suites: two bus instances (two processes sharing a broker) see
 * each other's messages on subscribed topics only, in publish order, with handler failures isolated.
 */
export function pubsubSuites(o: PubSubConformanceOptions): void {
  const opened: PubSub[] = [];
  const pair = async (): Promise<[PubSub, PubSub]> => {
    const a = await o.create();
    const b = await o.create();
    opened.push(a, b);
    return [a, b];
  };
  afterEach(async () => {
    const unique = [...new Set(opened.splice(0))];
    for (const bus of unique) await (o.close ? o.close(bus) : bus.close?.());
  });

  describe('delivery', () => {
    it('a message published on one instance reaches subscribers on both', async () => {
      const [a, b] = await pair();
      const t = topic('both');
      const onA = collector();
      const onB = collector();
      await a.subscribe(t, onA.handler);
      await b.subscribe(t, onB.handler);
      await a.publish(t, typing(1));
      await b.publish(t, typing(2));
      expect(await onA.until(2)).toHaveLength(2);
      expect(await onB.until(2)).toHaveLength(2);
      await settle();
      expect(onA.got).toHaveLength(2);
      expect(onB.got).toHaveLength(2);
    });

    it('a message published after subscribe resolved is delivered (subscribe-resolves-then-delivered)', async () => {
      for (let i = 0; i < 5; i++) {
        const [a, b] = await pair();
        const t = topic(`ready${i}`);
        const c = collector();
        await b.subscribe(t, c.handler);
        await a.publish(t, typing(i));
        expect(await c.until(1)).toEqual([typing(i)]);
      }
    });

    it('nothing arrives on topics not subscribed, or after unsubscribe', async () => {
      const [a, b] = await pair();
      const t1 = topic('one');
      const t2 = topic('two');
      const c = collector();
      const off = await b.subscribe(t1, c.handler);
      await a.publish(t2, typing(1));
      await a.publish(t1, typing(2));
      await c.until(1);
      await off();
      await off();
      await a.publish(t1, typing(3));
      await settle();
      expect(c.got).toEqual([typing(2)]);
    });

    it('each subscription gets a message once; two subscriptions of one handler are independent', async () => {
      const [a, b] = await pair();
      const t = topic('twice');
      const c = collector();
      const off1 = await b.subscribe(t, c.handler);
      await b.subscribe(t, c.handler);
      await a.publish(t, typing(1));
      await c.until(2);
      await off1();
      await a.publish(t, typing(2));
      await c.until(3);
      await settle();
      expect(c.got).toEqual([typing(1), typing(1), typing(2)]);
    });
  });

  describe('ordering', () => {
    it('messages of one publisher arrive in publish order', async () => {
      const [a, b] = await pair();
      const t = topic('order');
      const remote = collector();
      const local = collector();
      await b.subscribe(t, remote.handler);
      await a.subscribe(t, local.handler);
      const sent = Array.from({ length: 200 }, (_, i) => typing(i));
      for (const m of sent) await a.publish(t, m);
      expect(await remote.until(200)).toEqual(sent);
      expect(await local.until(200)).toEqual(sent);
    });

    it('without awaiting each publish, order per publisher still holds', async () => {
      const [a, b] = await pair();
      const t = topic('burst');
      const c = collector();
      await a.subscribe(t, c.handler);
      const fromA = Array.from({ length: 100 }, (_, i) => typing(i, 'a'));
      const fromB = Array.from({ length: 100 }, (_, i) => typing(i, 'b'));
      await Promise.all([...fromA.map((m) => a.publish(t, m)), ...fromB.map((m) => b.publish(t, m))]);
      const got = await c.until(200);
      expect(got.filter((m) => m.t === 'typing' && m.userId === 'a')).toEqual(fromA);
      expect(got.filter((m) => m.t === 'typing' && m.userId === 'b')).toEqual(fromB);
    });
  });

  describe('isolation', () => {
    it('a throwing handler does not stop other handlers or later messages', async () => {
      const [a, b] = await pair();
      const t = topic('throw');
      let thrown = 0;
      await b.subscribe(t, () => {
        thrown++;
        throw new Error('handler failure (expected by the conformance test)');
      });
      const c = collector();
      await b.subscribe(t, c.handler);
      await a.publish(t, typing(1));
      await a.publish(t, typing(2));
      expect(await c.until(2)).toEqual([typing(1), typing(2)]);
      expect(thrown).toBe(2);
    });

    it('handlers are not called inside publish', async () => {
      const [a] = await pair();
      const t = topic('async');
      let inside = false;
      let calledInside = false;
      const c = collector();
      await a.subscribe(t, (m) => {
        calledInside ||= inside;
        c.handler(m);
      });
      inside = true;
      const p = a.publish(t, typing(1));
      inside = false;
      await p;
      await c.until(1);
      expect(calledInside).toBe(false);
    });
  });

  describe('payloads', () => {
    it('JSON values round-trip equal', async () => {
      const [a, b] = await pair();
      const t = topic('json');
      const c = collector();
      await b.subscribe(t, c.handler);
      const message: BusMessage = {
        t: 'push',
        userId: 'ünï-😀',
        push: {
          ev: 'signal',
          callId: 'call',
          from: 'x',
          kind: 'offer',
          payload: { nested: [1, -2.5, 1e21, 0, true, false, null, 'emoji 😀 \u2028 "quotes" \\ back'], empty: {}, list: [], deep: { a: { b: { c: [[]] } } } },
        },
      };
      await a.publish(t, message);
      expect(await c.until(1)).toEqual([message]);
    });

    it('a payload of 256 KB is delivered intact', async () => {
      const [a, b] = await pair();
      const t = topic('large');
      const c = collector(15_000);
      await b.subscribe(t, c.handler);
      const big = 'x'.repeat(128 * 1024) + 'ü'.repeat(64 * 1024);
      const message: BusMessage = { t: 'push', userId: 'u', push: { ev: 'signal', callId: 'c', from: 'f', kind: 'sdp', payload: big } };
      await a.publish(t, message);
      const [got] = await c.until(1);
      expect(got).toEqual(message);
    });
  });
}
