import { afterAll, describe, expect, it } from 'vitest';
import { probeClusterTools, startCluster as startRedisCluster, type LocalCluster } from '../../../packages/pubsub-redis/test/redis-cluster.js';
import { useCluster } from './fixture.js';
import { clientIds, messageIds } from './scenario.js';
import { servicesAvailable, until } from './support.js';

// Nodes in Redis Cluster mode (REDIS_CLUSTER_NODES): sharded pub/sub, hash-tagged presence and
// rate-limit keys. The admin chat of the fixture only writes to the store.
const available = (await servicesAvailable()) && probeClusterTools('examples/cluster on a Redis Cluster');
const redis: LocalCluster | null = available ? await startRedisCluster() : null;
if (redis) process.env.REDIS_CLUSTER_NODES = redis.ports.map((p) => `127.0.0.1:${p}`).join(',');
afterAll(async () => {
  delete process.env.REDIS_CLUSTER_NODES;
  await redis?.stop();
});

describe.skipIf(!redis)('examples/cluster: two nodes on a Redis Cluster', () => {
  const f = useCluster({ nodes: 2 });

  it('members connected to different nodes get each other’s messages and typing through sharded pub/sub', async () => {
    const { users, group, cs } = await f.group('rc', 4);
    const sends = cs.flatMap((c, i) => Array.from({ length: 3 }, (_, k) => c.send({ conversationId: group.id, text: `m${i}.${k}` }).message));
    await Promise.all(sends);
    const expected = messageIds(await f.admin.history(group.id, users[0]!));
    expect(expected).toHaveLength(12);
    await until(() => cs.every((c) => clientIds(c, group.id).join() === expected.join()), 15_000, 'every client to hold the server history');
    await cs[1]!.request('typing', { conversationId: group.id, typing: true });
    await until(() => cs.every((c, i) => i === 1 || c.typing(group.id).getSnapshot().includes(users[1]!)), 10_000, 'typing on every node');
    const watched = await cs[0]!.api.presence({ userIds: users.slice(1) });
    expect(watched.every((p) => p.online)).toBe(true);
    // it really ran on the cluster: presence keys (hash-tagged) and the conversation's sharded channel live there
    let presenceKeys = 0;
    let subscribers = 0;
    for (const port of redis!.ports) {
      const node = redis!.node(port);
      presenceKeys += (await node.keys(`${f.redisPrefix}presence:{g*}:u:*`)).length;
      subscribers += Number(((await node.pubsub('SHARDNUMSUB', `${f.redisPrefix}{c:${group.id}}`)) as [string, number])[1]);
      node.disconnect();
    }
    expect(presenceKeys).toBeGreaterThanOrEqual(4 * 2); // primaries and their replicas both hold them
    expect(subscribers).toBe(2); // one subscription per node, on the conversation's shard
  }, 60_000);
});
