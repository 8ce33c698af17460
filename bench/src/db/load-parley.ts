import type { Kysely } from 'kysely';
import type { Sql } from './sql.js';
import { T0 } from '../workload.js';

/** Tables of Parley's schema whose secondary indexes are dropped during the bulk load and rebuilt after. */
const LOADED = ['users', 'conversations', 'members', 'events'];

/**
 * Create Parley's tables with the store's own `migrate`, then fill them from the `w1` staging
 * schema with set-based SQL, writing exactly what the store's `createConversation` and `append`
 * would have written: seq 1 = `conversation.created` (ord 0), messages at seq 2.. with
 * ord = message ordinal, `last_seq`, `message_count`, `last_activity_at`, the `last_message`
 * preview, and member watermarks (read_seq/read_ord; delivered = last seq).
 *
 * Secondary indexes created by `migrate` are dropped for the load and re-created from their own
 * definitions (`pg_get_indexdef`) afterwards, so the schema ends up exactly as migrated.
 */
export async function loadParley(sql: Sql, db: Kysely<unknown>, schema: string): Promise<void> {
  const { migrate } = await import('@parley/storage-postgres');
  await migrate({ db, schema });
  const indexes = await sql.query<{ name: string; def: string }>(
    `select quote_ident(n.nspname) || '.' || quote_ident(ic.relname) as name, pg_get_indexdef(i.indexrelid) as def
     from pg_index i join pg_class c on c.oid = i.indrelid join pg_class ic on ic.oid = i.indexrelid
     join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = $1 and c.relname = any($2::text[])
       and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid)`,
    [schema, LOADED],
  );
  for (const ix of indexes) await sql.exec(`drop index ${ix.name}`);
  const s = (table: string) => `"${schema}".${table}`;
  await sql.exec(`
    insert into ${s('users')} (id, created_at, updated_at, display_name)
      select id, ${T0}, ${T0}, name from w1.users order by id;
    create temporary table w1_last as
      select c.idx, c.n, m.at, u.id as sender, m.text from w1.convs c
      join w1.messages m on m.conv_idx = c.idx and m.pos = c.n join w1.users u on u.idx = m.sender_idx;
    insert into ${s('conversations')} (id, last_seq, message_count, last_activity_at, created_at, updated_at, member_count,
        kind, created_by, direct_pair, title, last_message)
      select c.id, c.n + 1, c.n, l.at, c.start_at, l.at, c.member_count, c.kind, cu.id,
        case when c.kind = 'direct' then
          (select string_agg(u.id, ' ' order by u.id collate "C") from w1.members m join w1.users u on u.idx = m.user_idx where m.conv_idx = c.idx)
        end,
        c.title,
        jsonb_build_object('seq', c.n + 1, 'senderId', l.sender, 'kind', 'text', 'text', left(l.text, 140), 'createdAt', l.at, 'deleted', false)
      from w1.convs c join w1_last l on l.idx = c.idx
      join w1.members cm on cm.conv_idx = c.idx and cm.pos = 0 join w1.users cu on cu.idx = cm.user_idx
      order by c.start_at;
    insert into ${s('members')} (conversation_id, user_id, join_seq, left_seq, delivered_seq, read_seq, read_ord,
        muted_until, joined_at, updated_at, role, past_windows)
      select c.id, u.id, 1, null, c.n + 1,
        c.n + 1 - case when m.pos = 0 then c.unread_k else 0 end,
        c.n - case when m.pos = 0 then c.unread_k else 0 end,
        null, c.start_at, c.start_at + c.n * c.step,
        case when c.kind <> 'direct' and m.pos = 0 then 'owner' else 'member' end, null
      from w1.members m join w1.convs c on c.idx = m.conv_idx join w1.users u on u.idx = m.user_idx
      order by c.start_at, m.pos;
    insert into ${s('events')} (conversation_id, seq, ord, at, type, actor_id, data)
      select c.id, 1, 0, c.start_at, 0, cu.id, jsonb_build_object('kind', c.kind, 'title', c.title, 'members',
        (select jsonb_agg(jsonb_build_object('userId', u.id, 'role',
            case when c.kind <> 'direct' and m.pos = 0 then 'owner' else 'member' end) order by m.pos)
         from w1.members m join w1.users u on u.idx = m.user_idx where m.conv_idx = c.idx))
      from w1.convs c join w1.members cm on cm.conv_idx = c.idx and cm.pos = 0 join w1.users cu on cu.idx = cm.user_idx
      order by c.start_at;
    insert into ${s('events')} (conversation_id, seq, ord, at, type, actor_id, id, client_id, text)
      select c.id, m.pos + 1, m.pos, m.at, 1, u.id,
        (lpad(to_hex(m.at), 12, '0') || '7' || substr(md5(c.idx || ':' || m.pos), 1, 3) || '8' || substr(md5(c.idx || ':' || m.pos), 4, 15))::uuid,
        md5('client' || c.idx || ':' || m.pos)::uuid::text,
        m.text
      from w1.messages m join w1.convs c on c.idx = m.conv_idx join w1.users u on u.idx = m.sender_idx
      order by m.at;
    drop table w1_last;
  `);
  for (const ix of indexes) await sql.exec(`set maintenance_work_mem = '512MB'; ${ix.def}`);
  for (const table of LOADED) await sql.exec(`vacuum analyze ${s(table)}`);
}
