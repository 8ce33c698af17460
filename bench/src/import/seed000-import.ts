/**
 * `npm run bench:import -w bench [-- --messages=N]`: import throughput of `parley-postgres import
 * seed000` on a generated seed 000 database (own schemas on the server at PARLEY_PG_URL), and the
 * storage of both sides. Quick by default (5,000 messages).
 */
import { randomBytes } from 'node:crypto';
import { importSeed000, migrate } from '@parley/storage-postgres';
import { createSeed000 } from '../db/seed000.js';
import { serverSql, type Sql } from '../db/sql.js';

const url = process.env.PARLEY_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const messages = Number(/--messages=(\d+)/.exec(process.argv.join(' '))?.[1] ?? 5000);
const USERS = 200;
const DIRECTS = 300;
const GROUPS = 20;
const GROUP_SIZE = 10;

/** Users, direct pairs, groups, `messages` messages round-robin over the chats, and a status row per recipient (the newest 20% of each chat unread). */
async function generate(sql: Sql, s: string): Promise<void> {
  await createSeed000(sql, s);
  const t0 = "timestamp '2024-06-01'";
  await sql.exec(`
    insert into ${s}.users (user_id, phone, name, created_at) select md5('u' || i)::uuid, '+1' || i, 'user ' || i, ${t0} from generate_series(0, ${USERS - 1}) i;
    insert into ${s}.chats (chat_id, chat_type, name, created_by, created_at)
      select md5('c' || i)::uuid, case when i < ${DIRECTS} then 'individual' else 'group' end,
        case when i < ${DIRECTS} then null else 'group ' || i end, md5('u' || (i % ${USERS}))::uuid, ${t0} from generate_series(0, ${DIRECTS + GROUPS - 1}) i;
    insert into ${s}.chat_members (chat_id, user_id, role, joined_at)
      select md5('c' || i)::uuid, md5('u' || ((i + k * (1 + i % 7)) % ${USERS}))::uuid, case when k = 0 and i >= ${DIRECTS} then 'admin' else 'member' end, ${t0}
      from generate_series(0, ${DIRECTS + GROUPS - 1}) i, generate_series(0, ${GROUP_SIZE - 1}) k where k < case when i < ${DIRECTS} then 2 else ${GROUP_SIZE} end;
    insert into ${s}.messages (message_id, chat_id, sender_id, content, created_at, updated_at)
      select md5('m' || j)::uuid, md5('c' || c)::uuid, md5('u' || ((c + (j % n) * (1 + c % 7)) % ${USERS}))::uuid, 'message ' || j,
        ${t0} + j * interval '1 second', ${t0} + j * interval '1 second'
      from generate_series(0, ${messages - 1}) j, lateral (select j % ${DIRECTS + GROUPS} as c) x,
        lateral (select case when c < ${DIRECTS} then 2 else ${GROUP_SIZE} end as n) y;
    insert into ${s}.message_status (message_id, user_id, status, timestamp)
      select m.message_id, cm.user_id, case when m.pos <= m.total * 0.8 then 'read' else 'delivered' end, m.created_at
      from (select *, row_number() over (partition by chat_id order by created_at) as pos, count(*) over (partition by chat_id) as total from ${s}.messages) m
      join ${s}.chat_members cm on cm.chat_id = m.chat_id and cm.user_id <> m.sender_id;
  `);
}

async function schemaBytes(sql: Sql, schema: string): Promise<number> {
  const [row] = await sql.query<{ bytes: string }>(
    `select coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint as bytes from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = $1 and c.relkind in ('r', 'm')`,
    [schema],
  );
  return Number(row!.bytes);
}

async function main(): Promise<void> {
  const suffix = randomBytes(4).toString('hex');
  const source = `bench_seed000_${suffix}`;
  const target = `bench_parley_${suffix}`;
  const sql = serverSql(url, 4);
  const db = await sql.kysely();
  try {
    await generate(sql, source);
    await migrate({ db, schema: target });
    const startedAt = performance.now();
    const report = await importSeed000({ source: db, sourceSchema: source, target: db, targetSchema: target });
    const seconds = (performance.now() - startedAt) / 1000;
    const [before, after] = [await schemaBytes(sql, source), await schemaBytes(sql, target)];
    console.log(JSON.stringify({ messages: report.messages, unmapped: report.unmappedCount, seconds: Number(seconds.toFixed(2)),
      messagesPerSecond: Math.round(report.messages / seconds), sourceMB: +(before / 2 ** 20).toFixed(1), parleyMB: +(after / 2 ** 20).toFixed(1) }));
  } finally {
    await sql.exec(`drop schema if exists ${source} cascade; drop schema if exists ${target} cascade`);
    await sql.close();
  }
}

await main();
