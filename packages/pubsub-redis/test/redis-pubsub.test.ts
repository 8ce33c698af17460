import type { BusMessage } from '@parley/core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createRedisPubSub, type RedisPubSub } from '../src/index.js';
import { client, killByName, probeRedis, uniquePrefix, until } from './redis-env.js';

const available = await probeRedis('@parley/pubsub-redis pub/sub tests');

const typing = (n: number, conversationId = 'c1'): BusMessage => ({ t: 'typing', conversationId, userId: `u${n}`, typing: true, expiresInMs: n });

describe.skipIf(!available)('createRedisPubSub', () => {
  const open: RedisPubSub[] = [];
  const admin = available ? client() : null;
  afterEach(async () => {
    await Promise.all(open.splice(0).map((p) => p.close()));
  });
  afterAll(() => admin?.disconnect());
  const make = (prefix: string, name?: string) => {
    const bus = createRedisPubSub({ redis: client(name ? `${name}-pub` : undefined), subscriber: () => client(name), prefix });
    open.push(bus);
    return bus;
  };
  const numsub = async (channel: string) => Number(((await admin!.pubsub('NUMSUB', channel)) as [string, number])[1]);

  it('two independent connections see each other’s messages, in publish order', async () => {
    const prefix = uniquePrefix();
    const a = make(prefix);
    const b = make(prefix);
    const gotA: BusMessage[] = [];
    const gotB: BusMessage[] = [];
    await a.subscribe('c:1', (m) => gotA.push(m));
    await b.subscribe('c:1', (m) => gotB.push(m));
    for (let i = 0; i < 200; i++) void a.publish('c:1', typing(i));
    await b.publish('c:1', typing(1000));
    await until(() => gotA.length === 201 && gotB.length === 201, 5000, 'all messages');
    const fromA = (xs: BusMessage[]) => xs.filter((m) => m.t === 'typing' && m.expiresInMs < 1000).map((m) => (m.t === 'typing' ? m.expiresInMs : -1));
    expect(fromA(gotA)).toEqual([...Array(200).keys()]);
    expect(fromA(gotB)).toEqual([...Array(200).keys()]);
    expect(gotB).toContainEqual(typing(1000));
  });

  it('subscribe resolves once active, handlers run asynchronously and get equal, independent values', async () => {
    const prefix = uniquePrefix();
    const a = make(prefix);
    const got: BusMessage[][] = [[], []];
    let insidePublish = false;
    let calledInside = false;
    await a.subscribe('t', (m) => {
      if (insidePublish) calledInside = true;
      got[0]!.push(m);
      (m as { userId: string }).userId = 'mutated';
    });
    await a.subscribe('t', (m) => got[1]!.push(m));
    insidePublish = true;
    const p = a.publish('t', typing(7));
    insidePublish = false;
    await p;
    await until(() => got[1]!.length === 1, 2000, 'delivery');
    expect(calledInside).toBe(false);
    expect(got[1]![0]).toEqual(typing(7));
  });

  it('a handler that throws affects neither other handlers nor the bus', async () => {
    const errors: unknown[] = [];
    const bus = createRedisPubSub({ redis: client(), prefix: uniquePrefix(), onError: (e) => errors.push(e) });
    open.push(bus);
    const got: BusMessage[] = [];
    await bus.subscribe('t', () => {
      throw new Error('boom');
    });
    await bus.subscribe('t', (m) => got.push(m));
    await bus.publish('t', typing(1));
    await bus.publish('t', typing(2));
    await until(() => got.length === 2, 2000, 'delivery');
    expect(errors.length).toBeGreaterThanOrEqual(2);
  });

  it('SUBSCRIBEs a channel for the first handler and UNSUBSCRIBEs after the last (ref-counted)', async () => {
    const prefix = uniquePrefix();
    const a = make(prefix);
    const b = make(prefix);
    const h = () => {};
    const un1 = await a.subscribe('c:x', h);
    const un2 = await a.subscribe('c:x', h); // same function twice: two subscriptions
    await b.subscribe('c:y', h);
    expect(await numsub(`${prefix}c:x`)).toBe(1); // one Redis subscription for two local handlers
    expect(await numsub(`${prefix}c:y`)).toBe(1);
    // each node is subscribed to exactly what its handlers need
    expect(a.channels()).toEqual([`${prefix}c:x`]);
    expect(b.channels()).toEqual([`${prefix}c:y`]);
    expect(((await admin!.pubsub('CHANNELS', `${prefix}*`)) as string[]).sort()).toEqual([`${prefix}c:x`, `${prefix}c:y`]);
    await un1();
    await un1(); // idempotent
    expect(await numsub(`${prefix}c:x`)).toBe(1);
    await un2();
    expect(await numsub(`${prefix}c:x`)).toBe(0);
    expect(a.channels()).toEqual([]);
  });

  it('unsubscribe stops traffic to that handler and to that node', async () => {
    const prefix = uniquePrefix();
    const a = make(prefix);
    const b = make(prefix);
    const got: BusMessage[] = [];
    const un = await b.subscribe('c:1', (m) => got.push(m));
    await a.publish('c:1', typing(1));
    await until(() => got.length === 1, 2000, 'first delivery');
    await un();
    await a.publish('c:1', typing(2));
    const probe: BusMessage[] = [];
    await a.subscribe('c:1', (m) => probe.push(m));
    await a.publish('c:1', typing(3));
    await until(() => probe.length === 1, 2000, 'probe');
    expect(got).toEqual([typing(1)]);
  });

  it('converges under concurrent subscribe/unsubscribe churn', async () => {
    const prefix = uniquePrefix();
    const a = make(prefix);
    const topicsUsed = ['a', 'b', 'c'];
    const live: (() => Promise<void>)[] = [];
    const jobs: Promise<void>[] = [];
    for (let i = 0; i < 60; i++) {
      const topic = topicsUsed[i % 3]!;
      jobs.push(
        a.subscribe(topic, () => {}).then(async (un) => {
          if (i % 2 === 0) await un();
          else live.push(un);
        }),
      );
    }
    await Promise.all(jobs);
    for (const t of topicsUsed) expect(await numsub(`${prefix}${t}`)).toBe(1);
    await Promise.all(live.map((un) => un()));
    for (const t of topicsUsed) expect(await numsub(`${prefix}${t}`)).toBe(0);
    // and it still works afterwards
    const got: BusMessage[] = [];
    await a.subscribe('a', (m) => got.push(m));
    await a.publish('a', typing(1));
    await until(() => got.length === 1, 2000, 'delivery after churn');
  });

  it('carries large payloads intact (1 MiB)', async () => {
    const prefix = uniquePrefix();
    const a = make(prefix);
    const b = make(prefix);
    const big = typing(1, 'é'.repeat(512 * 1024));
    const got: BusMessage[] = [];
    await b.subscribe('big', (m) => got.push(m));
    await a.publish('big', big);
    await until(() => got.length === 1, 5000, 'large delivery');
    expect(got[0]).toEqual(big);
  });

  it('calls onReset when its subscriber connection is killed, then delivers again once resubscribed', async () => {
    const prefix = uniquePrefix();
    const name = `parley-kill-${prefix.slice(-9, -1)}`;
    const a = make(prefix, name);
    const b = make(prefix);
    const resets: string[] = [];
    a.onReset((reason) => resets.push(reason));
    const got: BusMessage[] = [];
    await a.subscribe('c:1', (m) => got.push(m));
    expect(await killByName(admin!, name)).toBe(1);
    await until(() => resets.some((r) => r.includes('reconnected')), 10_000, 'reset after reconnect');
    expect(resets[0]).toMatch(/lost/);
    expect(await numsub(`${prefix}c:1`)).toBe(1);
    await b.publish('c:1', typing(9));
    await until(() => got.length === 1, 5000, 'delivery after reconnect');
    expect(got).toEqual([typing(9)]);
  });

  it('close() quits both connections and is idempotent', async () => {
    const pub = client();
    let sub = client();
    const bus = createRedisPubSub({ publisher: pub, subscriber: () => (sub = client()), prefix: uniquePrefix() });
    await bus.subscribe('x', () => {});
    await bus.close();
    await bus.close();
    await until(() => pub.status === 'end' && sub.status === 'end', 2000, 'both connections ended');
    await expect(bus.publish('x', typing(1))).rejects.toThrow(/closed/);
  });

  it('rejects a subscriber that is the publisher', () => {
    const c = client();
    expect(() => createRedisPubSub({ publisher: c, subscriber: c })).toThrow(/own connection/);
    c.disconnect();
  });

});
