import type { Sql } from './sql.js';

/**
 * The baseline: seed 000's schema (tables, checks, keys and its eight indexes, as written in the
 * seed) in schema `seed000`, and its queries. Keys and indexes are added after the bulk load (same
 * end state, built compactly, which if anything flatters the baseline's size); foreign keys are
 * added `NOT VALID`, so they are enforced for every later insert exactly as in the seed.
 */
export const SEED_SCHEMA = 'seed000';

const tables = (schema: string) => `
  create schema ${schema};
  set search_path = ${schema}, public;
  create table users (
    user_id uuid default gen_random_uuid(),
    phone varchar(20) not null,
    name varchar(100) not null,
    profile_pic_url text,
    status_message varchar(200),
    last_seen timestamp,
    is_online boolean default false,
    created_at timestamp default current_timestamp,
    updated_at timestamp default current_timestamp
  );
  create table chats (
    chat_id uuid default gen_random_uuid(),
    chat_type varchar(20) not null check (chat_type in ('individual', 'group')),
    name varchar(100),
    created_by uuid,
    created_at timestamp default current_timestamp,
    updated_at timestamp default current_timestamp
  );
  create table chat_members (
    id uuid default gen_random_uuid(),
    chat_id uuid,
    user_id uuid,
    role varchar(20) default 'member' check (role in ('admin', 'member')),
    joined_at timestamp default current_timestamp,
    last_read_at timestamp
  );
  create table messages (
    message_id uuid default gen_random_uuid(),
    chat_id uuid,
    sender_id uuid,
    message_type varchar(20) default 'text' check (message_type in ('text', 'image', 'video', 'audio', 'document')),
    content text,
    media_url text,
    thumbnail_url text,
    file_size bigint,
    reply_to uuid,
    is_edited boolean default false,
    is_deleted boolean default false,
    created_at timestamp default current_timestamp,
    updated_at timestamp default current_timestamp
  );
  create table message_status (
    id uuid default gen_random_uuid(),
    message_id uuid,
    user_id uuid,
    status varchar(20) not null check (status in ('sent', 'delivered', 'read')),
    timestamp timestamp default current_timestamp
  );
`;
const TABLES = tables(SEED_SCHEMA);

const KEYS = [
  'alter table users add primary key (user_id), add unique (phone)',
  'alter table chats add primary key (chat_id)',
  'alter table chat_members add primary key (id), add unique (chat_id, user_id)',
  'alter table messages add primary key (message_id)',
  'alter table message_status add primary key (id), add unique (message_id, user_id)',
  'alter table chats add foreign key (created_by) references users(user_id) not valid',
  'alter table chat_members add foreign key (chat_id) references chats(chat_id) on delete cascade not valid, add foreign key (user_id) references users(user_id) on delete cascade not valid',
  'alter table messages add foreign key (chat_id) references chats(chat_id) on delete cascade not valid, add foreign key (sender_id) references users(user_id) on delete set null not valid, add foreign key (reply_to) references messages(message_id) on delete set null not valid',
  'alter table message_status add foreign key (message_id) references messages(message_id) on delete cascade not valid, add foreign key (user_id) references users(user_id) on delete cascade not valid',
  'create index idx_messages_chat_id on messages(chat_id, created_at desc)',
  'create index idx_messages_sender_id on messages(sender_id)',
  'create index idx_message_status_message_id on message_status(message_id)',
  'create index idx_message_status_user_status on message_status(user_id, status)',
  'create index idx_chat_members_user_id on chat_members(user_id)',
  'create index idx_chat_members_chat_id on chat_members(chat_id)',
  'create index idx_users_phone on users(phone)',
];

const ts = (ms: string) => `(to_timestamp(${ms} / 1000.0) at time zone 'UTC')`;

/**
 * Load the `w1` staging data into the seed 000 schema: the same users, chats, members and
 * messages; a `message_status` row per recipient of every message ('read', or 'delivered' for the
 * unread tail), except in the busy channel (that would be ~100M rows at full scale: left out,
 * which only makes the baseline look smaller; its members are not sampled for unread/inbox).
 */
export async function loadSeed000(sql: Sql): Promise<void> {
  await sql.exec(`drop schema if exists ${SEED_SCHEMA} cascade`);
  await sql.exec(TABLES);
  const s = SEED_SCHEMA;
  await sql.exec(`
    insert into ${s}.users (user_id, phone, name, created_at, updated_at)
      select uid, '+1555' || lpad(idx::text, 7, '0'), name, ${ts('1735689600000')}, ${ts('1735689600000')} from w1.users order by idx;
    insert into ${s}.chats (chat_id, chat_type, name, created_by, created_at, updated_at)
      select c.id, case when c.kind = 'direct' then 'individual' else 'group' end, c.title, u.uid, ${ts('c.start_at')}, ${ts('c.start_at')}
      from w1.convs c join w1.members m on m.conv_idx = c.idx and m.pos = 0 join w1.users u on u.idx = m.user_idx order by c.start_at;
    insert into ${s}.chat_members (chat_id, user_id, role, joined_at)
      select c.id, u.uid, case when c.kind <> 'direct' and m.pos = 0 then 'admin' else 'member' end, ${ts('c.start_at')}
      from w1.members m join w1.convs c on c.idx = m.conv_idx join w1.users u on u.idx = m.user_idx order by c.start_at, m.pos;
    insert into ${s}.messages (message_id, chat_id, sender_id, message_type, content, created_at, updated_at)
      select md5('msg' || m.conv_idx || ':' || m.pos)::uuid, c.id, u.uid, 'text', m.text, ${ts('m.at')}, ${ts('m.at')}
      from w1.messages m join w1.convs c on c.idx = m.conv_idx join w1.users u on u.idx = m.sender_idx order by m.at;
    insert into ${s}.message_status (message_id, user_id, status, timestamp)
      select md5('msg' || m.conv_idx || ':' || m.pos)::uuid, u.uid,
        case when r.pos = 0 and m.pos > c.n - c.unread_k then 'delivered' else 'read' end, ${ts('m.at')}
      from w1.messages m join w1.convs c on c.idx = m.conv_idx
      join w1.members r on r.conv_idx = m.conv_idx and r.user_idx <> m.sender_idx
      join w1.users u on u.idx = r.user_idx
      where c.kind <> 'channel'
      order by m.at;
  `);
  for (const key of KEYS) await sql.exec(`set maintenance_work_mem = '512MB'; set search_path = ${s}, public; ${key}`);
  for (const table of ['users', 'chats', 'chat_members', 'messages', 'message_status']) await sql.exec(`vacuum analyze ${s}.${table}`);
}

/** Seed 000's schema, empty: its tables, keys, foreign keys and indexes (for the home-grown real-time server, and the import bench in its own `schema`). */
export async function createSeed000(sql: Sql, schema = SEED_SCHEMA): Promise<void> {
  await sql.exec(`drop schema if exists ${schema} cascade`);
  await sql.exec(tables(schema));
  for (const key of KEYS) await sql.exec(`set search_path = ${schema}, public; ${key}`);
  await sql.exec('set search_path = public');
}

/** Seed 000 query 1, "Get All Chats for a User with Last Message", verbatim plus `LIMIT 20` (one page). */
export const CHAT_LIST = `
SELECT
    c.chat_id, c.chat_type, c.name, u.name as other_user_name, u.profile_pic_url, u.is_online,
    m.content as last_message, m.created_at as last_message_time,
    COUNT(CASE WHEN ms.status != 'read' THEN 1 END) as unread_count
FROM ${SEED_SCHEMA}.chats c
JOIN ${SEED_SCHEMA}.chat_members cm ON c.chat_id = cm.chat_id
LEFT JOIN ${SEED_SCHEMA}.chat_members cm2 ON c.chat_id = cm2.chat_id AND cm2.user_id != cm.user_id
LEFT JOIN ${SEED_SCHEMA}.users u ON cm2.user_id = u.user_id
LEFT JOIN LATERAL (
    SELECT content, created_at FROM ${SEED_SCHEMA}.messages
    WHERE chat_id = c.chat_id ORDER BY created_at DESC LIMIT 1
) m ON true
LEFT JOIN ${SEED_SCHEMA}.message_status ms ON ms.user_id = cm.user_id AND ms.status != 'read'
WHERE cm.user_id = $1
GROUP BY c.chat_id, c.chat_type, c.name, u.name, u.profile_pic_url, u.is_online, m.content, m.created_at
ORDER BY m.created_at DESC
LIMIT 20`;

/** Seed 000 query 3, "Get Unread Message Count for User", verbatim. */
export const UNREAD = `
SELECT COUNT(*) as unread_count
FROM ${SEED_SCHEMA}.messages m
JOIN ${SEED_SCHEMA}.chat_members cm ON m.chat_id = cm.chat_id
LEFT JOIN ${SEED_SCHEMA}.message_status ms ON m.message_id = ms.message_id AND ms.user_id = cm.user_id
WHERE cm.user_id = $1
    AND m.sender_id != $1
    AND (ms.status IS NULL OR ms.status != 'read')`;

/** Seed 000 query 2, "Get Messages for a Chat (with pagination)", verbatim (LIMIT 50 OFFSET $2). */
export const HISTORY = `
SELECT m.*, u.name as sender_name, u.profile_pic_url as sender_pic
FROM ${SEED_SCHEMA}.messages m
JOIN ${SEED_SCHEMA}.users u ON m.sender_id = u.user_id
WHERE m.chat_id = $1 AND m.is_deleted = false
ORDER BY m.created_at DESC
LIMIT 50 OFFSET $2`;

/** Seed 000 query 5, "Search Messages", verbatim plus `AND m.chat_id = $3` (search within one conversation). */
export const SEARCH = `
SELECT m.*, u.name as sender_name
FROM ${SEED_SCHEMA}.messages m
JOIN ${SEED_SCHEMA}.users u ON m.sender_id = u.user_id
JOIN ${SEED_SCHEMA}.chat_members cm ON m.chat_id = cm.chat_id
WHERE cm.user_id = $1
    AND m.content ILIKE '%' || $2 || '%'
    AND m.is_deleted = false
    AND m.chat_id = $3
ORDER BY m.created_at DESC
LIMIT 50`;

/** The right per-chat unread count for the seed's data (what query 1 should have computed). */
export const TRUE_UNREAD = `
SELECT m.chat_id, count(*)::int as unread
FROM ${SEED_SCHEMA}.message_status ms JOIN ${SEED_SCHEMA}.messages m ON m.message_id = ms.message_id
WHERE ms.user_id = $1 AND ms.status != 'read'
GROUP BY m.chat_id`;

/** Seed 000 query 8, "Send Message": the message and a status row per recipient, in one transaction. */
export async function seedSend(sql: Sql, chatId: string, senderId: string, content: string): Promise<{ message_id: string; created_at: Date }> {
  return sql.tx(async (q) => {
    const [row] = await q.query<{ message_id: string; created_at: Date }>(
      `INSERT INTO ${SEED_SCHEMA}.messages (chat_id, sender_id, message_type, content, media_url)
       VALUES ($1, $2, $3, $4, $5) RETURNING message_id, created_at`,
      [chatId, senderId, 'text', content, null],
    );
    await q.query(
      `INSERT INTO ${SEED_SCHEMA}.message_status (message_id, user_id, status)
       SELECT $1, user_id, 'sent' FROM ${SEED_SCHEMA}.chat_members WHERE chat_id = $2 AND user_id != $3`,
      [row!.message_id, chatId, senderId],
    );
    return row!;
  });
}
