import { describe, expect, it } from 'vitest';
import { useCluster } from './fixture.js';
import { clientIds, loadWithDisruption, messageIds } from './scenario.js';
import { servicesAvailable, until } from './support.js';

const available = await servicesAvailable();

describe.skipIf(!available)('examples/cluster: three nodes, one Postgres, one Redis', () => {
  const f = useCluster({ nodes: 3 });
  const setup = (tag: string, n: number) => f.group(tag, n);
  /** Which nodes hold a live connection of the user, from the presence entries in Redis (`<nodeId>:<connectionId>` by expiry). */
  const nodeOf = async (userId: string) => {
    const [seconds = 0, micros = 0] = (await f.admin.redis.time()).map(Number);
    const members = await f.admin.redis.zrangebyscore(`${f.redisPrefix}presence:${userId}`, `(${seconds * 1000 + Math.floor(micros / 1000)}`, '+inf');
    return members.map((m) => m.slice(0, m.indexOf(':')));
  };

  it('clients spread over the nodes agree on messages, receipts, typing, presence and unread counts', async () => {
    const { users, group, cs } = await setup('agree', 6);
    const nodes = new Set((await Promise.all(users.map(nodeOf))).flat());
    expect(nodes.size).toBe(3);

    // messages: 5 from each, concurrently
    const sends = cs.flatMap((c, i) => Array.from({ length: 5 }, (_, k) => c.send({ conversationId: group.id, text: `m${i}.${k}` }).message));
    await Promise.all(sends);
    const history = await f.admin.history(group.id, users[0]!);
    const expected = messageIds(history);
    expect(expected).toHaveLength(30);
    await until(() => cs.every((c) => clientIds(c, group.id).join() === expected.join()), 15_000, 'every client to hold the server history');

    // receipts: one reader, everyone sees the watermark. The reader must not be the sender of the
    // last message: sending already moved the sender's own read watermark there, so their markRead
    // moves nothing and, rightly, sends no receipt.
    const lastEvent = history[history.length - 1]!;
    const last = lastEvent.seq;
    const lastSender = lastEvent.type === 'message' ? lastEvent.message.senderId : undefined;
    const reader = users.findIndex((u) => u !== lastSender);
    const seen = cs.map(() => new Map<string, number>());
    cs.forEach((c, i) => c.on('receipt', (r) => r.conversationId === group.id && seen[i]!.set(r.userId, Math.max(seen[i]!.get(r.userId) ?? 0, r.readSeq))));
    await cs[reader]!.api.markRead({ conversationId: group.id, seq: last });
    await until(() => seen.every((m, i) => i === reader || m.get(users[reader]!) === last), 10_000, 'the read receipt on every node');

    // typing
    await cs[1]!.request('typing', { conversationId: group.id, typing: true });
    await until(() => cs.every((c, i) => i === 1 || c.typing(group.id).getSnapshot().includes(users[1]!)), 10_000, 'typing on every node');

    // unread counts: each client's inbox equals the server's
    for (const [i, c] of cs.entries()) {
      const server = await f.admin.chat.as(users[i]!).inbox({});
      const want = server.items.find((e) => e.conversation.id === group.id)!.unread;
      await until(() => c.inbox.getSnapshot().byId[group.id]?.unread === want, 10_000, `unread of ${users[i]} to be ${want}`);
    }
    expect((await f.admin.chat.as(users[reader]!).inbox({})).items[0]!.unread).toBe(0);

    // presence: online everywhere; the last connection of a user closing is seen on the other nodes
    const watched = await cs[0]!.api.presence({ userIds: users.slice(1) });
    expect(watched.every((p) => p.online)).toBe(true);
    cs[5]!.close();
    await until(() => cs[0]!.presence.getSnapshot()[users[5]!]?.online === false, 10_000, 'offline presence of the closed client');
    expect((await f.admin.chat.store.getUsers([users[5]!]))[0]!.lastSeenAt).toBeTypeOf('number');
  }, 60_000);

  it('SIGKILL of a node under load: its clients resume on other nodes; every client ends with exactly the server history', async () => {
    const { users, group, cs } = await setup('kill', 6);
    const victim = 1;
    const victimId = f.cluster.nodes[victim]!.nodeId;
    const onVictim = new Set<number>();
    for (const [i, u] of users.entries()) if ((await nodeOf(u)).includes(victimId)) onVictim.add(i);
    expect(onVictim.size).toBeGreaterThan(0);

    const readyAgain = new Map<number, number>();
    let killedAt = 0;
    cs.forEach((c, i) => c.on('ready', () => killedAt > 0 && onVictim.has(i) && !readyAgain.has(i) && readyAgain.set(i, Date.now() - killedAt)));
    const sent = await loadWithDisruption({
      admin: f.admin,
      cs,
      users,
      group,
      durationMs: 4000,
      disruptAtMs: 1500,
      disrupt: async () => {
        killedAt = Date.now();
        await f.cluster.kill(victim, 'SIGKILL');
      },
    });
    await until(() => readyAgain.size === onVictim.size, 15_000, 'the killed node’s clients to be ready again');
    // the clients moved to live nodes; the dead node's entries expire (presence TTL 3 s)
    await until(async () => (await Promise.all([...onVictim].map((i) => nodeOf(users[i]!)))).every((n) => n.length > 0 && !n.includes(victimId)), 10_000, 'presence entries on live nodes only');
    const failover = [...readyAgain.values()].sort((a, b) => a - b);
    console.log(`[cluster] SIGKILL failover: ${onVictim.size} clients ready on another node after ${failover.join(', ')} ms; ${sent} messages sent under load`);
    await f.cluster.restart(victim);
  }, 60_000);
});
