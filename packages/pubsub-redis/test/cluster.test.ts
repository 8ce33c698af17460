import type { BusMessage } from '@parley/core';
import { runPubSubConformance, runRateLimiterConformance } from '@parley/core/testing';
import type { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createRedisPubSub, createRedisRateLimiter, type RedisPubSub } from '../src/index.js';
import { keySlot } from '../src/key-slot.js';
import { presenceCases } from './presence-cases.js';
import { uniquePrefix, until } from './redis-env.js';
import { probeClusterTools, startCluster, type LocalCluster } from './redis-cluster.js';

const available = probeClusterTools('@parley/pubsub-redis cluster tests');
const cluster: LocalCluster | null = available ? await startCluster() : null;

if (cluster) {
  const shared = cluster.client();
  const limiterClients: ReturnType<typeof cluster.client>[] = [];
  afterAll(async () => {
    shared.disconnect();
    for (const c of limiterClients) c.disconnect();
    await cluster.stop();
  });
  const prefix = uniquePrefix();
  runPubSubConformance({ name: 'redis cluster (sharded pub/sub)', create: () => createRedisPubSub({ redis: cluster.client(), prefix }) });
  presenceCases({ name: 'redis cluster', redis: () => shared, client: () => cluster.client(), cluster: true });
  runRateLimiterConformance({
    name: 'redis cluster',
    shared: true,
    create: () => {
      const c = cluster.client();
      limiterClients.push(c);
      return createRedisRateLimiter({ redis: c, prefix });
    },
  });

  const typing = (n: number): BusMessage => ({ t: 'typing', conversationId: 'c', userId: `u${n}`, typing: true, expiresInMs: n });
  /** Cluster facts asked of one node that is up (a test may have killed one). */
  const admin = async <T>(ask: (node: Redis) => Promise<T>): Promise<T> => {
    for (const port of cluster.ports) {
      try {
        process.kill(cluster.pids.get(port)!, 0);
      } catch {
        continue;
      }
      const node = cluster.node(port);
      try {
        return await ask(node);
      } finally {
        node.disconnect();
      }
    }
    throw new Error('no live cluster node');
  };
  /** The primary (port) that serves each slot, from CLUSTER SLOTS. */
  const slotOwners = async (): Promise<(slot: number) => number> => {
    const ranges = (await admin((n) => n.cluster('SLOTS'))) as unknown as Array<[number, number, [string, number]]>;
    return (slot) => ranges.find(([from, to]) => slot >= from && slot <= to)![2][1];
  };
  const primaries = async () => {
    const owner = await slotOwners();
    return [...new Set(Array.from({ length: 16384 }, (_, s) => owner(s)))].sort();
  };
  const slotOf = async (key: string) => Number(await admin((n) => n.cluster('KEYSLOT', key)));
  /** Per node, how many SPUBLISH calls it has executed (INFO commandstats). */
  const spublishCalls = async (node: Redis) => Number(/cmdstat_spublish:calls=(\d+)/.exec(await node.info('commandstats'))?.[1] ?? 0);
  const shardNumSub = async (node: Redis, channel: string) => Number(((await node.pubsub('SHARDNUMSUB', channel)) as [string, number])[1]);

  describe('sharded pub/sub on a Redis Cluster', () => {
    const buses: RedisPubSub[] = [];
    afterAll(async () => {
      await Promise.all(buses.map((b) => b.close()));
    });
    const bus = (prefix: string) => {
      const b = createRedisPubSub({ redis: cluster.client(), prefix });
      buses.push(b);
      return b;
    };

    it('a conversation’s traffic touches only the shard that owns its topic; a node receives only its own conversations', async () => {
      const prefix = uniquePrefix();
      const owner = await slotOwners();
      // two conversations whose topics live on different primaries
      let other = 0;
      while (owner(await slotOf(`${prefix}{c:x}`)) === owner(await slotOf(`${prefix}{c:y${other}}`))) other++;
      const x = 'c:x';
      const y = `c:y${other}`;
      const xPort = owner(await slotOf(`${prefix}{${x}}`));
      const nodeA = bus(prefix); // serves a member of x
      const nodeB = bus(prefix); // serves a member of y only
      const publisher = bus(prefix);
      const gotA: BusMessage[] = [];
      const gotB: BusMessage[] = [];
      await nodeA.subscribe(x, (m) => gotA.push(m));
      await nodeB.subscribe(y, (m) => gotB.push(m));
      const nodes = new Map((await primaries()).map((port) => [port, cluster.node(port)]));
      try {
        const before = new Map<number, number>();
        for (const [port, n] of nodes) before.set(port, await spublishCalls(n));
        for (let i = 0; i < 100; i++) await publisher.publish(x, typing(i));
        await until(() => gotA.length === 100, 5000, 'x delivered');
        await new Promise((r) => setTimeout(r, 100));
        expect(gotB).toEqual([]); // the node with no member of x received none of its messages
        for (const [port, n] of nodes) {
          const delta = (await spublishCalls(n)) - before.get(port)!;
          // Redis's own counters: every SPUBLISH of x ran on x's primary, none anywhere else
          expect({ port, delta }).toEqual({ port, delta: port === xPort ? 100 : 0 });
          expect({ port, subs: await shardNumSub(n, `${prefix}{${x}}`) }).toEqual({ port, subs: port === xPort ? 1 : 0 });
        }
      } finally {
        for (const n of nodes.values()) n.disconnect();
      }
    });

    it('keySlot agrees with CLUSTER KEYSLOT (hash tags, unicode, empty and unclosed tags)', async () => {
      const keys = ['parley:{c:42}', 'foo', '{user1000}.following', 'a{}b', 'x{y', 'ünï{cödé}', '{}', '', 'parley:presence:{g7}:u:ana'];
      for (const key of keys) expect({ key, slot: keySlot(key) }).toEqual({ key, slot: await slotOf(key) });
    });

    it('classic mode is refused for a Cluster subscriber without sharded subscribers', () => {
      expect(() => createRedisPubSub({ redis: cluster.client(), subscriber: cluster.client({ sharded: false }), prefix: 'x:' })).toThrow(/shardedSubscribers/);
    });
  });

  describe('a slot migration under load', () => {
    it('a topic whose slot moves to another primary keeps being delivered, or the bus resets and then delivers', async () => {
      const prefix = uniquePrefix();
      const topic = 'c:moving';
      const channel = `${prefix}{${topic}}`;
      const slot = await slotOf(channel);
      const from = (await slotOwners())(slot);
      const to = (await primaries()).find((p) => p !== from)!;
      const sub = createRedisPubSub({ redis: cluster.client(), prefix });
      const pub = createRedisPubSub({ redis: cluster.client(), prefix });
      const resets: string[] = [];
      sub.onReset((reason) => resets.push(reason));
      const got: number[] = [];
      await sub.subscribe(topic, (m) => {
        if (m.t === 'typing') got.push(m.expiresInMs);
      });
      const source = cluster.node(from);
      const target = cluster.node(to);
      try {
        const idOf = async (node: Redis) => String(await node.cluster('MYID'));
        const [fromId, toId] = [await idOf(source), await idOf(target)];
        for (let i = 0; i < 20; i++) await pub.publish(topic, typing(i));
        await until(() => got.length === 20, 5000, 'before the move');
        // move the slot (no keys live in it: pub/sub channels are not keys)
        await target.cluster('SETSLOT', slot, 'IMPORTING', fromId);
        await source.cluster('SETSLOT', slot, 'MIGRATING', toId);
        await target.cluster('SETSLOT', slot, 'NODE', toId);
        await source.cluster('SETSLOT', slot, 'NODE', toId);
        await until(async () => (await slotOwners())(slot) === to, 10_000, 'the slot to move');
        const resetsAtMove = resets.length;
        // publish on; each message is either delivered or covered by a reset
        const sent: number[] = [];
        const end = Date.now() + 8000;
        let i = 1000;
        while (Date.now() < end) {
          await pub.publish(topic, typing(i)).then(() => sent.push(i), () => {});
          i++;
          await new Promise((r) => setTimeout(r, 20));
          if (sent.length >= 20 && got.includes(sent.at(-1)!)) break;
        }
        const after = got.filter((n) => n >= 1000);
        console.info(`[slot migration] slot ${slot} ${from} → ${to}: ${sent.length} sent after the move, ${after.length} delivered, resets ${resets.slice(resetsAtMove).join(' / ') || 'none'}`);
        const lost = sent.filter((n) => !after.includes(n));
        if (lost.length > 0) expect(resets.length).toBeGreaterThan(resetsAtMove); // a loss is always announced
        // and after the last reset, delivery is whole
        await until(() => resets.length === 0 || resets.at(-1)!.includes('reconnected'), 10_000, 'back');
        const base = got.length;
        for (let k = 0; k < 20; k++) await pub.publish(topic, typing(50_000 + k));
        await until(() => got.length >= base + 20, 10_000, 'delivery after the move');
        expect(got.slice(base)).toEqual(Array.from({ length: 20 }, (_, k) => 50_000 + k));
      } finally {
        source.disconnect();
        target.disconnect();
        await Promise.all([sub.close(), pub.close()]);
      }
    }, 40_000);
  });

  // Last: it leaves the cluster with one primary dead (its replica promoted).
  describe('a primary killed under load', () => {
    it('subscribers hear onReset twice (lost, back), resubscribe on the promoted replica, publishes resume', async () => {
      const prefix = uniquePrefix();
      const topic = 'c:failover';
      const channel = `${prefix}{${topic}}`;
      const slot = await slotOf(channel);
      const deadPort = (await slotOwners())(slot);
      const sub = createRedisPubSub({ redis: cluster.client(), prefix });
      const pub = createRedisPubSub({ redis: cluster.client(), prefix });
      const resets: string[] = [];
      sub.onReset((reason) => resets.push(reason));
      const got: number[] = [];
      await sub.subscribe(topic, (m) => {
        if (m.t === 'typing') got.push(m.expiresInMs);
      });
      let n = 0;
      let failed = 0;
      let stop = false;
      const load = (async () => {
        const end = Date.now() + 30_000; // bounded
        while (!stop && Date.now() < end) {
          await pub.publish(topic, typing(n++)).catch(() => void failed++);
          await new Promise((r) => setTimeout(r, 10));
        }
      })();
      try {
        await until(() => got.length >= 20, 5000, 'traffic before the kill');
        const killedAt = Date.now();
        process.kill(cluster.pids.get(deadPort)!, 'SIGKILL');
        // the replica takes over the slot (in the view of the live nodes)
        await until(async () => (await slotOwners())(slot) !== deadPort, 25_000, 'the replica to be promoted');
        const newOwner = (await slotOwners())(slot);
        const failoverMs = Date.now() - killedAt;
        // the subscriber said "lost" and, last, "back" (ioredis may replace a shard's subscriber more
        // than once on the way, each time is a lost/back pair)
        await until(() => resets.length >= 2 && resets.at(-1)!.includes('reconnected'), 15_000, 'onReset: lost, then back');
        expect(resets[0]).toMatch(/lost/);
        // publishes resume (the publisher's client may need a moment to learn the new primary), and
        // after the reset said "back" every publish is delivered, in order
        stop = true;
        await load;
        let resumedAfterMs = 0;
        await until(async () => pub.publish(topic, typing(99_999)).then(() => true, () => false), 15_000, 'a publish to succeed');
        resumedAfterMs = Date.now() - killedAt;
        await until(() => got.at(-1) === 99_999, 10_000, 'the probe');
        const from = got.length;
        for (let i = 0; i < 50; i++) await pub.publish(topic, typing(100_000 + i));
        await until(() => got.length >= from + 50, 5000, 'publishes after failover');
        expect(got.slice(from)).toEqual(Array.from({ length: 50 }, (_, i) => 100_000 + i));
        console.info(`[cluster failover] primary on ${deadPort} killed; replica on ${newOwner} promoted after ${failoverMs} ms; ${resets.length} resets, publishes resumed after ${resumedAfterMs} ms; ${failed} of ${n} publishes failed meanwhile`);
      } finally {
        stop = true;
        await load;
        await Promise.all([sub.close(), pub.close()]);
      }
    }, 40_000);
  });
} else {
  describe('redis cluster', () => {
    it.skip('needs redis-server and redis-cli (see the printed reason)', () => {});
  });
}
