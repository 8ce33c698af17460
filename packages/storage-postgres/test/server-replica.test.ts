import { randomUUID } from 'node:crypto';
import type { ChatStore } from '@parley/core';
import { createServer, type AddressInfo } from 'node:net';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../src/migrations.js';
import { createPostgresStore } from '../src/postgres-store.js';
import { messageDraft, seedConversation } from './support/drafts.js';
import { createPool } from './support/pg.js';
import { ReplicaPair } from './support/replica-pair.js';

// A private primary and a streaming replica of it, made and removed by this file.
const pair = await ReplicaPair.start('the read-replica tests');

const node = (p: ReplicaPair): ChatStore =>
  createPostgresStore({ db: p.primary.db, replicas: [p.replica.db], replicaOptions: { retryAfterFailureMs: 200 } });

async function send(store: ChatStore, conversationId: string, senderId: string, text: string): Promise<number> {
  const { event } = await store.append({ draft: messageDraft({ conversationId, senderId, text }), requireActiveMember: senderId });
  return event.seq;
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(pair === null)('read replicas (private primary + streaming replica)', () => {
  const p = pair!;
  let store: ChatStore;
  beforeAll(async () => {
    await migrate({ db: p.primary.db });
    await p.caughtUp();
    store = node(p);
  }, 30_000);
  afterAll(() => p.destroy(), 30_000);

  it('reads go to the replica once it has replayed what this node wrote', async () => {
    const cid = await seedConversation(store, { users: ['ann', 'bob'] });
    const seq = await send(store, cid, 'ann', 'hello replica');
    await p.caughtUp();
    const before = { replica: p.replica.reads(), primary: p.primary.reads() };
    for (let i = 0; i < 10; i++) {
      const page = await store.events({ conversationId: cid, limit: 10, timelineOnly: true });
      expect(page.at(-1)?.seq).toBe(seq);
      expect((await store.inbox({ userId: 'bob', limit: 10 }))[0]?.unread).toBe(1);
    }
    // every read went to one side, nearly all to the replica (the primary's background WAL records,
    // e.g. a running-transactions snapshot every 15 s, may put the replica a moment behind the floor)
    expect(p.replica.reads() - before.replica + (p.primary.reads() - before.primary)).toBe(20);
    expect(p.replica.reads() - before.replica).toBeGreaterThanOrEqual(18);
  });

  it('read-your-writes under concurrent load: every read after a write shows it', async () => {
    const users = Array.from({ length: 8 }, (_, i) => `w${i}`);
    const cid = await seedConversation(store, { users });
    await p.caughtUp();
    // the replica applies each commit 30 ms late, so a read it answered too early would be stale
    await sql`alter system set recovery_min_apply_delay = '30ms'`.execute(p.replica.db);
    await sql`select pg_reload_conf()`.execute(p.replica.db);
    const stale: string[] = [];
    await Promise.all(
      users.map(async (u) => {
        for (let i = 0; i < 15; i++) {
          const seq = await send(store, cid, u, `${u} ${i}`);
          const page = await store.events({ conversationId: cid, limit: 1, timelineOnly: true });
          if ((page.at(-1)?.seq ?? 0) < seq) stale.push(`${u}: newest ${page.at(-1)?.seq} < own ${seq}`);
          await store.advanceWatermarks({ conversationId: cid, userId: users[(users.indexOf(u) + 1) % users.length]!, readSeq: seq, now: 2000 });
          const [row] = await store.inbox({ userId: u, limit: 1 });
          if ((row?.conversation.lastSeq ?? 0) < seq) stale.push(`${u}: inbox lastSeq ${row?.conversation.lastSeq} < own ${seq}`);
          const found = await store.getMessage(cid, seq);
          if (found?.text !== `${u} ${i}`) stale.push(`${u}: message ${seq} not found`);
        }
      }),
    );
    await sql`alter system reset recovery_min_apply_delay`.execute(p.replica.db);
    await sql`select pg_reload_conf()`.execute(p.replica.db);
    expect(stale).toEqual([]);
  });

  it('with replay paused, own writes are still read (from the primary), and the replica is used again after resume', async () => {
    const cid = await seedConversation(store, { users: ['cat', 'dan'] });
    await p.caughtUp();
    // another node that does not write: it read from the replica before the pause, so its floor is
    // older than what follows
    const other = node(p);
    await until(async () => {
      const before = p.replica.reads();
      await other.inbox({ userId: 'dan', limit: 1 });
      return p.replica.reads() === before + 1;
    }, 'a read of the other node served by the replica');
    await p.replay(false);
    try {
      const seq = await send(store, cid, 'cat', 'while paused');
      const replicaBefore = p.replica.reads();
      expect((await store.events({ conversationId: cid, limit: 5, timelineOnly: true })).at(-1)?.seq).toBe(seq);
      expect((await store.search({ userId: 'dan', query: 'paused', limit: 5 })).map((m) => m.seq)).toEqual([seq]);
      expect((await store.inbox({ userId: 'dan', limit: 5 }))[0]?.unread).toBe(1);
      // the replica answered none of them: it has not replayed the write
      expect(p.replica.reads()).toBe(replicaBefore);

      // on the other node a read naming the seq its client holds (from a push) never returns older
      const seq2 = await send(store, cid, 'cat', 'pushed to dan');
      expect((await other.getMessage(cid, seq2))?.text).toBe('pushed to dan');
      expect((await other.events({ conversationId: cid, before: seq2 + 1, limit: 1, timelineOnly: true })).map((e) => e.seq)).toEqual([seq2]);
    } finally {
      await p.replay(true);
    }
    await p.caughtUp();
    const resumed = p.replica.reads();
    await until(async () => {
      await store.events({ conversationId: cid, limit: 5, timelineOnly: true });
      return p.replica.reads() > resumed;
    }, 'a read served by the resumed replica');
  });

  it('a stopped replica never fails a read; the replica is used again once it is back', async () => {
    const cid = await seedConversation(store, { users: ['eve', 'fay'] });
    const seq = await send(store, cid, 'eve', 'replica down');
    await p.caughtUp();
    await p.stopReplica();
    try {
      for (let i = 0; i < 5; i++) {
        expect((await store.events({ conversationId: cid, limit: 5, timelineOnly: true })).at(-1)?.seq).toBe(seq);
        expect((await store.search({ userId: 'fay', query: 'replica', limit: 5 })).map((m) => m.seq)).toContain(seq);
        expect((await store.inbox({ userId: 'fay', limit: 5 }))[0]?.conversation.id).toBe(cid);
        expect((await store.unreadTotal({ userId: 'fay', now: 0 })).total).toBeGreaterThan(0);
      }
      const fresh = await send(store, cid, 'fay', 'written while the replica is down');
      expect((await store.getMessage(cid, fresh))?.text).toBe('written while the replica is down');
    } finally {
      await p.startReplica();
    }
    await p.caughtUp();
    const back = p.replica.reads();
    await until(async () => {
      await store.events({ conversationId: cid, limit: 5, timelineOnly: true });
      return p.replica.reads() > back;
    }, 'a read served by the restarted replica');
  }, 30_000);

  it('reads are answered by the primary within the replica timeout', async () => {
    // a real socket that takes the connection and stays silent, like a hung host
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    const hung = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: createPool({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`, max: 2 }) }) });
    const hungStore = createPostgresStore({ db: p.primary.db, replicas: [hung], replicaOptions: { timeoutMs: 300 } });
    try {
      const cid = await seedConversation(hungStore, { users: ['gus', 'hal'] });
      const seq = await send(hungStore, cid, 'gus', 'silent replica');
      const started = performance.now();
      expect((await hungStore.events({ conversationId: cid, limit: 5, timelineOnly: true })).at(-1)?.seq).toBe(seq);
      expect((await hungStore.inbox({ userId: 'hal', limit: 5 }))[0]?.conversation.id).toBe(cid);
      expect(performance.now() - started).toBeLessThan(3000);
    } finally {
      silent.close();
      void hung.destroy().catch(() => {});
    }
  });
});

if (pair === null) {
  describe('read replicas', () => {
    it.skip('needs initdb, pg_ctl and pg_basebackup (set PARLEY_PG_BIN or install the PostgreSQL server package)', () => {});
  });
}
