import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { Kysely, PostgresDialect } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, migrateDown } from '../src/migrations.js';
import { createPostgresStore } from '../src/postgres-store.js';
import { messageDraft, seedConversation } from './support/drafts.js';
import { dropSchema, randomSchema, serverAvailable, serverDb } from './support/server.js';

// The schema made by `migrate({ partitions })`: events, members and hidden hash-partitioned by
// conversation id. What is checked: every read path has an index on every partition it reads, a
// conversation's reads touch one partition, and the unique keys still hold.
const available = await serverAvailable();
const PARTITIONS = 8;

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Loops'?: number;
  Plans?: PlanNode[];
}
const flatten = (plan: PlanNode): PlanNode[] => [plan, ...(plan.Plans ?? []).flatMap(flatten)];

describe.skipIf(!available)('partitioned tables on a Postgres server', () => {
  const schema = randomSchema('parley_part');
  const { db, pool } = serverDb(8);
  const captured: Array<{ sql: string; parameters: readonly unknown[] }> = [];
  const logged = new Kysely<unknown>({
    dialect: new PostgresDialect({ pool }),
    log: (event) => {
      if (event.level === 'query') captured.push({ sql: event.query.sql, parameters: event.query.parameters });
    },
  });
  const store = createPostgresStore({ db, schema });
  const probe = createPostgresStore({ db: logged, schema });
  const conversations: string[] = [];

  beforeAll(async () => {
    expect((await migrate({ db, schema, partitions: PARTITIONS })).executed).toContain('0001_initial');
    const users = Array.from({ length: 24 }, (_, i) => `u${i}`);
    for (let i = 0; i < 32; i++) conversations.push(await seedConversation(store, { users: [users[i % 24]!, users[(i * 5 + 1) % 24]!, users[(i + 7) % 24]!] }));
    await Promise.all(
      conversations.map(async (cid, i) => {
        const members = await store.memberIds(cid);
        for (let k = 0; k < 10; k++) {
          await store.append({ draft: messageDraft({ conversationId: cid, senderId: members[k % members.length]!, text: `deploy ${i} lunch ${k}` }) });
        }
      }),
    );
    for (const table of ['events', 'members', 'hidden', 'conversations']) await sql`analyze ${sql.table(`${schema}.${table}`)}`.execute(db);
  }, 60_000);
  afterAll(async () => {
    await dropSchema(db, schema);
    await db.destroy();
  });

  /**
   * The plan of the one statement `run` sends (run, in a transaction rolled back), with sequential scans disabled: partitions of a
   * test-sized table are small enough that a scan is cheapest, and what matters here is that an
   * index path exists on every partition read (a missing one still shows as a Seq Scan).
   */
  const planOf = async (run: () => Promise<unknown>): Promise<PlanNode[]> => {
    captured.length = 0;
    await run();
    expect(captured).toHaveLength(1);
    const client = await pool.connect();
    try {
      await client.query('begin');
      await client.query('set local enable_seqscan = off');
      const result = await client.query(`explain (analyze, format json) ${captured[0]!.sql}`, [...captured[0]!.parameters]);
      return flatten((result.rows[0]['QUERY PLAN'] as Array<{ Plan: PlanNode }>)[0]!.Plan);
    } finally {
      await client.query('rollback');
      client.release();
    }
  };
  /** Partitions of `table` the statement really read (run-time pruning leaves the others never executed). */
  const partitionsRead = (plan: PlanNode[], table: string) =>
    new Set(plan.filter((p) => (p['Actual Loops'] ?? 0) > 0).map((p) => p['Relation Name'] ?? '').filter((name) => new RegExp(`^${table}_p\\d+$`).test(name)));
  const seqScans = (plan: PlanNode[]) => plan.filter((p) => p['Node Type'] === 'Seq Scan' && /^(events|members|hidden)(_p\d+)?$/.test(p['Relation Name'] ?? ''));

  it('migrate made the partitions', async () => {
    const { rows } = await sql<{ parent: string; n: number }>`
      select p.relname as parent, count(*)::int as n from pg_inherits i
      join pg_class p on p.oid = i.inhparent join pg_namespace s on s.oid = p.relnamespace
      where s.nspname = ${schema} and p.relkind = 'p' group by p.relname order by p.relname`.execute(db);
    expect(rows).toEqual([
      { parent: 'events', n: PARTITIONS },
      { parent: 'hidden', n: PARTITIONS },
      { parent: 'members', n: PARTITIONS },
    ]);
  });

  it('history, a message, mutations, hidden seqs and receipts read one partition, by index', async () => {
    const cid = conversations[3]!;
    for (const [table, run] of [
      ['events', () => probe.events({ conversationId: cid, before: 8, limit: 5, timelineOnly: true })],
      ['events', () => probe.events({ conversationId: cid, after: 2, limit: 5, timelineOnly: false })],
      ['events', () => probe.getMessage(cid, 4)],
      ['events', () => probe.mutationsOf({ conversationId: cid, targets: [2, 3], after: 1 })],
      ['events', () => probe.originalTexts({ conversationId: cid, seqs: [2, 3] })],
      ['hidden', () => probe.hiddenSeqs({ userId: 'u1', conversationId: cid })],
      ['members', () => probe.receipts(cid)],
      ['members', () => probe.listMembers({ conversationId: cid, limit: 10 })],
    ] as const) {
      const plan = await planOf(run);
      expect(seqScans(plan)).toEqual([]);
      expect(partitionsRead(plan, table).size).toBe(1);
    }
  });

  it('inbox, sync, unread total and search use each partition’s index (user-keyed: every partition)', async () => {
    for (const run of [
      () => probe.inbox({ userId: 'u2', limit: 10 }),
      () => probe.changedMemberships({ userId: 'u2', since: 0, afterConversationId: '0', limit: 5 }),
      () => probe.unreadTotal({ userId: 'u2', now: 0 }),
      () => probe.search({ userId: 'u2', query: 'deploy lunch', limit: 10 }),
    ]) {
      const plan = await planOf(run);
      expect(seqScans(plan)).toEqual([]);
      expect(plan.filter((p) => /^members_p\d+$/.test(p['Relation Name'] ?? '')).every((p) => /Index/.test(p['Node Type']))).toBe(true);
    }
    const search = await planOf(() => probe.search({ userId: 'u2', query: 'deploy', conversationId: conversations[2]!, limit: 10 }));
    expect(seqScans(search)).toEqual([]);
    expect(partitionsRead(search, 'events').size).toBe(1);
  });

  it('seq and exactly-once keys hold across the partitioned table', async () => {
    const cid = conversations[5]!;
    const [sender] = await store.memberIds(cid);
    const clientId = randomUUID();
    const first = await store.append({ draft: messageDraft({ conversationId: cid, senderId: sender!, clientId, text: 'once' }) });
    const again = await store.append({ draft: messageDraft({ conversationId: cid, senderId: sender!, clientId, text: 'once' }) });
    expect(again.event.seq).toBe(first.event.seq);
    const events = sql.table(`${schema}.events`);
    const copy = (set: ReturnType<typeof sql>) =>
      sql`insert into ${events} select * from ${events} where conversation_id = ${cid} and seq = ${first.event.seq}::bigint`
        .execute(db)
        .then(() => set, (error: { code?: string }) => error.code);
    // the same row again breaks both keys; with a new seq it still breaks (conversation, actor, client id)
    expect(await copy(sql`dup`)).toBe('23505');
    const moved = await sql`insert into ${events} (conversation_id, seq, ord, at, type, actor_id, client_id)
      values (${cid}, 9999, 9999, 1, 1, ${sender!}, ${clientId})`.execute(db).then(() => 'inserted', (error: { code?: string }) => error.code);
    expect(moved).toBe('23505');
    expect((await store.events({ conversationId: cid, after: 0, limit: 100, timelineOnly: false })).map((e) => e.seq)).toEqual(
      Array.from({ length: first.event.seq }, (_, i) => i + 1),
    );
  });

  it('the partition count is fixed by the first migration', async () => {
    expect((await migrate({ db, schema })).executed).toEqual([]);
    expect((await migrate({ db, schema, partitions: PARTITIONS })).executed).toEqual([]);
    await expect(migrate({ db, schema, partitions: 16 })).rejects.toMatchObject({ name: 'ChatError', code: 'INVALID' });
    for (const bad of [1, 0, 2.5, 5000]) {
      await expect(migrate({ db, schema: randomSchema('parley_bad'), partitions: bad })).rejects.toMatchObject({ code: 'INVALID' });
    }
    // after migrateDown the tables are gone, and the next first migration may choose again
    await migrateDown({ db, schema });
    expect((await migrate({ db, schema, partitions: 4 })).executed).toContain('0001_initial');
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_inherits i join pg_class p on p.oid = i.inhparent
      join pg_namespace s on s.oid = p.relnamespace where s.nspname = ${schema} and p.relname = 'events'`.execute(db);
    expect(rows[0]!.n).toBe(4);
  });
});
