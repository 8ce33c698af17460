import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import { Kysely as KyselyClass, PostgresDialect } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../src/migrations.js';
import { createPostgresStore } from '../src/postgres-store.js';
import { messageDraft, seedConversation } from './support/drafts.js';
import { dropSchema, randomSchema, serverAvailable, serverDb } from './support/server.js';

const available = await serverAvailable();
const WORDS = ['lunch', 'meeting', 'deploy', 'coffee', 'review', 'weekend', 'budget', 'launch', 'design', 'ticket'];

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}
const nodes = (plan: PlanNode): PlanNode[] => [plan, ...(plan.Plans ?? []).flatMap(nodes)];

describe.skipIf(!available)('EXPLAIN of the read paths on a Postgres server', () => {
  const schema = randomSchema();
  const { db, pool } = serverDb(8);
  // a second kysely on the same pool that records the SQL the store sends
  const captured: Array<{ sql: string; parameters: readonly unknown[] }> = [];
  const logged: Kysely<unknown> = new KyselyClass<unknown>({
    dialect: new PostgresDialect({ pool }),
    log: (event) => {
      if (event.level === 'query') captured.push({ sql: event.query.sql, parameters: event.query.parameters });
    },
  });
  const store = createPostgresStore({ db, schema });
  const probe = createPostgresStore({ db: logged, schema });
  const users = Array.from({ length: 60 }, (_, i) => `user${i}`);

  beforeAll(async () => {
    await migrate({ db, schema });
    // 120 conversations (direct and groups of 6), 40 messages each: 4,800 messages
    const conversations: string[] = [];
    for (let i = 0; i < 120; i++) {
      const members = i % 2 === 0 ? [users[i % 60]!, users[(i * 7 + 1) % 60]!] : Array.from({ length: 6 }, (_, k) => users[(i + k * 9) % 60]!);
      const unique = [...new Set(members)];
      conversations.push(await seedConversation(store, { users: unique, kind: unique.length === 2 && i % 2 === 0 ? 'direct' : 'group' }));
    }
    let n = 0;
    const work = conversations.flatMap((cid, ci) => Array.from({ length: 40 }, (_, k) => ({ cid, ci, k })));
    const worker = async () => {
      for (let item = work.shift(); item; item = work.shift()) {
        const members = await store.memberIds(item.cid);
        const text = `${WORDS[(item.k * 3 + item.ci) % WORDS.length]} ${WORDS[(item.k + 5) % WORDS.length]} number ${n++}`;
        await store.append({ draft: messageDraft({ conversationId: item.cid, senderId: members[item.k % members.length]!, text, at: 10_000 + n }) });
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    await sql`analyze ${sql.table(`${schema}.events`)}`.execute(db);
    await sql`analyze ${sql.table(`${schema}.members`)}`.execute(db);
    await sql`analyze ${sql.table(`${schema}.conversations`)}`.execute(db);
  }, 120_000);
  afterAll(async () => {
    await dropSchema(db, schema);
    await db.destroy();
  });

  const planOf = async (run: () => Promise<unknown>) => {
    captured.length = 0;
    await run();
    expect(captured).toHaveLength(1);
    const { sql: text, parameters } = captured[0]!;
    const result = await pool.query(`explain (format json) ${text}`, [...parameters]);
    const plan = (result.rows[0]['QUERY PLAN'] as Array<{ Plan: PlanNode }>)[0]!.Plan;
    if (process.env.PARLEY_SHOW_PLANS) console.log(JSON.stringify(nodes(plan).map((p) => [p["Node Type"], p["Relation Name"], p["Index Name"]])));
    return nodes(plan);
  };
  const eventScans = (plan: PlanNode[]) => plan.filter((p) => p['Relation Name'] === 'events');
  const noSeqScanOfEvents = (plan: PlanNode[]) => eventScans(plan).every((p) => p['Node Type'] !== 'Seq Scan');
  const indexes = (plan: PlanNode[]) => plan.map((p) => p['Index Name']).filter(Boolean);

  it('inbox: members by user index, no scan of events', async () => {
    const plan = await planOf(() => probe.inbox({ userId: 'user3', limit: 20 }));
    expect(noSeqScanOfEvents(plan)).toBe(true);
    expect(indexes(plan)).toContain('members_user_idx');
  });

  it('history page: primary key range, newest first, no seq scan', async () => {
    const [row] = (await sql<{ id: string }>`select id from ${sql.table(`${schema}.conversations`)} limit 1`.execute(db)).rows;
    const plan = await planOf(() => probe.events({ conversationId: row!.id, before: 30, limit: 20, timelineOnly: true }));
    expect(eventScans(plan).length).toBeGreaterThan(0);
    expect(noSeqScanOfEvents(plan)).toBe(true);
    expect(indexes(plan)).toContain('events_pkey');
  });

  it('search: the GIN full-text index, no seq scan of events', async () => {
    const plan = await planOf(() => probe.search({ userId: 'user5', query: 'deploy budget', limit: 20 }));
    expect(noSeqScanOfEvents(plan)).toBe(true);
    expect(indexes(plan)).toContain('events_search_idx');
  });

  it('mutations of a page (former members): the (conversation, target, seq) index, no seq scan', async () => {
    const [row] = (await sql<{ id: string }>`select id from ${sql.table(`${schema}.conversations`)} limit 1`.execute(db)).rows;
    const plan = await planOf(() => probe.mutationsOf({ conversationId: row!.id, targets: [2, 3, 4, 5], after: 3 }));
    expect(noSeqScanOfEvents(plan)).toBe(true);
    expect(indexes(plan)).toContain('events_target_idx');
  });

  it('sync page: the member (user, conversation) index, keyset and limit, no seq scan of events', async () => {
    const plan = await planOf(() => probe.changedMemberships({ userId: 'user4', since: 0, afterConversationId: '0', limit: 5 }));
    expect(noSeqScanOfEvents(plan)).toBe(true);
    expect(plan.filter((p) => p['Relation Name'] === 'members').every((p) => p['Node Type'] !== 'Seq Scan')).toBe(true);
  });

  it('unread total: never touches events', async () => {
    const plan = await planOf(() => probe.unreadTotal({ userId: 'user7', now: 0 }));
    expect(eventScans(plan)).toEqual([]);
  });
});
