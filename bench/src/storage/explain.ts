import type { Plan } from '../report/model.js';
import type { Fixture } from './fixture.js';

/** Does a plan read Parley's events table with a sequential scan? */
export function scansEvents(plan: string): boolean {
  return /Seq Scan on (\w+\.)?events\b/.test(plan);
}

/**
 * Run each Parley read path once, capture the SQL the store sent (kysely's query log), and
 * `EXPLAIN (ANALYZE, BUFFERS)` every statement with its own parameters.
 */
export async function explainReads(f: Fixture): Promise<Plan[]> {
  const user = f.users[Math.floor(f.users.length / 2)]!;
  const member = f.busy.members[1]!;
  const conv = f.groups[0]!;
  const paths: Array<[string, () => Promise<unknown>]> = [
    ['inbox', () => f.store.inbox({ userId: user.id, limit: 20 })],
    ['unreadTotal', () => f.store.unreadTotal({ userId: user.id, now: Date.now() })],
    ['history (newest 50)', () => f.store.events({ conversationId: conv.id, limit: 50, timelineOnly: true })],
    [
      'history (deep, keyset)',
      () => f.store.events({ conversationId: f.busy.id, before: f.busy.lastSeq + 1 - f.workload.deepOffset, limit: 50, timelineOnly: true }),
    ],
    ['search (busy channel)', () => f.store.search({ userId: member.id, query: 'kalomi', conversationId: f.busy.id, limit: 50 })],
  ];
  const plans: Plan[] = [];
  for (const [name, run] of paths) {
    f.takeQueries();
    await run();
    const statements = f.takeQueries().filter((q) => /^\s*(with|select)\b/i.test(q.sql));
    for (const [i, q] of statements.entries()) {
      const rows = await f.sql.query<Record<string, string>>(`explain (analyze, buffers, costs off) ${q.sql}`, [...q.params]);
      const plan = rows.map((r) => Object.values(r)[0]).join('\n');
      plans.push({ name: statements.length > 1 ? `${name} [${i + 1}/${statements.length}]` : name, sql: q.sql, plan, seqScanOfEvents: scansEvents(plan) });
    }
  }
  return plans;
}
