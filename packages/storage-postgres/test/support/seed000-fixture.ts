import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { between, pick, seeded } from '../../../../tests/support/random.js';

/** A message of the generated source, as the importer should see it. */
export interface SourceMessage {
  id: string;
  chatId: string;
  senderId: string;
  content: string;
  at: number;
  replyTo: string | null;
  edited: boolean;
  deleted: boolean;
  media: boolean;
}

/** The generated seed 000 data, kept in memory to derive what Parley must show after the import. */
export interface SourceData {
  users: string[];
  chats: Array<{ id: string; type: 'individual' | 'group'; members: string[]; admins: string[] }>;
  messages: SourceMessage[];
  /** Per `${chatId}/${userId}`: index (in the chat's message order) of the last message read, -1 for none. */
  readUpTo: Map<string, number>;
}

/** Seed 000's tables (columns, checks and keys as the seed writes them) in `schema`. */
async function createTables(db: Kysely<unknown>, schema: string): Promise<void> {
  const s = sql.id(schema);
  await sql`create schema ${s}`.execute(db);
  for (const ddl of [
    sql`create table ${s}.users (user_id uuid primary key, phone varchar(20) unique not null, name varchar(100) not null,
      profile_pic_url text, status_message varchar(200), last_seen timestamp, is_online boolean default false,
      created_at timestamp default current_timestamp, updated_at timestamp default current_timestamp)`,
    sql`create table ${s}.chats (chat_id uuid primary key, chat_type varchar(20) not null check (chat_type in ('individual', 'group')),
      name varchar(100), created_by uuid references ${s}.users(user_id), created_at timestamp default current_timestamp,
      updated_at timestamp default current_timestamp)`,
    sql`create table ${s}.chat_members (id uuid primary key default gen_random_uuid(), chat_id uuid references ${s}.chats(chat_id),
      user_id uuid references ${s}.users(user_id), role varchar(20) default 'member' check (role in ('admin', 'member')),
      joined_at timestamp default current_timestamp, last_read_at timestamp, unique (chat_id, user_id))`,
    sql`create table ${s}.messages (message_id uuid primary key, chat_id uuid references ${s}.chats(chat_id),
      sender_id uuid references ${s}.users(user_id),
      message_type varchar(20) default 'text' check (message_type in ('text', 'image', 'video', 'audio', 'document')),
      content text, media_url text, thumbnail_url text, file_size bigint, reply_to uuid references ${s}.messages(message_id),
      is_edited boolean default false, is_deleted boolean default false, created_at timestamp default current_timestamp,
      updated_at timestamp default current_timestamp)`,
    sql`create table ${s}.message_status (id uuid primary key default gen_random_uuid(), message_id uuid references ${s}.messages(message_id),
      user_id uuid references ${s}.users(user_id), status varchar(20) not null check (status in ('sent', 'delivered', 'read')),
      timestamp timestamp default current_timestamp, unique (message_id, user_id))`,
  ]) {
    await ddl.execute(db);
  }
}

const ts = (ms: number) => sql`(to_timestamp(${ms / 1000}::double precision) at time zone 'UTC')`;

/**
 * Generate a small seed 000 database in `schema`: users, direct chats (one pair twice, as seed 000
 * allows), groups with admins, messages with replies, edits, deletes and media, and a
 * `message_status` row per recipient ('read' up to a random point, then 'delivered' or 'sent').
 */
export async function generateSeed000(db: Kysely<unknown>, schema: string, seed: number): Promise<SourceData> {
  const random = seeded(seed);
  await createTables(db, schema);
  const s = sql.id(schema);
  const start = Date.UTC(2024, 5, 1);
  const users = Array.from({ length: 10 }, () => randomUUID());
  for (const [i, id] of users.entries()) {
    await sql`insert into ${s}.users (user_id, phone, name, created_at) values (${id}::uuid, ${`+1555${i}`}, ${`user ${i}`}, ${ts(start)})`.execute(db);
  }
  const chats: SourceData['chats'] = [];
  const pairs = [[0, 1], [0, 2], [1, 2], [3, 4], [0, 1]]; // [0, 1] twice: one Parley conversation
  for (const [a, b] of pairs) chats.push({ id: randomUUID(), type: 'individual', members: [users[a!]!, users[b!]!], admins: [] });
  for (let g = 0; g < 3; g++) {
    const members = users.filter(() => random() < 0.6);
    while (members.length < 3) members.push(...users.filter((u) => !members.includes(u)).slice(0, 1));
    chats.push({ id: randomUUID(), type: 'group', members, admins: [members[0]!, ...(random() < 0.5 ? [members[1]!] : [])] });
  }
  for (const [i, c] of chats.entries()) {
    await sql`insert into ${s}.chats (chat_id, chat_type, name, created_by, created_at)
      values (${c.id}::uuid, ${c.type}, ${c.type === 'group' ? `group ${i}` : null}, ${c.members[0]!}::uuid, ${ts(start + i)})`.execute(db);
    for (const u of c.members) {
      await sql`insert into ${s}.chat_members (chat_id, user_id, role, joined_at)
        values (${c.id}::uuid, ${u}::uuid, ${c.admins.includes(u) ? 'admin' : 'member'}, ${ts(start + i)})`.execute(db);
    }
  }
  const messages: SourceMessage[] = [];
  let at = start + 60_000;
  for (let n = 0; n < 240; n++) {
    const c = pick(random, chats);
    at += between(random, 1, 5000);
    const earlier = messages.filter((m) => m.chatId === c.id);
    const m: SourceMessage = {
      id: randomUUID(),
      chatId: c.id,
      senderId: pick(random, c.members),
      content: `message ${n} in ${c.id.slice(0, 4)}`,
      at,
      replyTo: earlier.length && random() < 0.15 ? pick(random, earlier).id : null,
      edited: random() < 0.1,
      deleted: random() < 0.05,
      media: random() < 0.1,
    };
    messages.push(m);
    await sql`insert into ${s}.messages (message_id, chat_id, sender_id, message_type, content, media_url, file_size, reply_to,
        is_edited, is_deleted, created_at, updated_at)
      values (${m.id}::uuid, ${m.chatId}::uuid, ${m.senderId}::uuid, ${m.media ? 'image' : 'text'}, ${m.content},
        ${m.media ? `https://cdn.example/${m.id}.jpg` : null}, ${m.media ? 1234 : null}, ${m.replyTo}::uuid,
        ${m.edited}, ${m.deleted}, ${ts(m.at)}, ${ts(m.at + 1000)})`.execute(db);
  }
  const readUpTo = new Map<string, number>();
  for (const c of chats) {
    const inChat = messages.filter((m) => m.chatId === c.id);
    for (const u of c.members) {
      const read = between(random, -1, inChat.length - 1);
      const delivered = between(random, read, inChat.length - 1);
      readUpTo.set(`${c.id}/${u}`, read);
      for (const [i, m] of inChat.entries()) {
        if (m.senderId === u) continue;
        const status = i <= read ? 'read' : i <= delivered ? 'delivered' : 'sent';
        await sql`insert into ${s}.message_status (message_id, user_id, status, timestamp) values (${m.id}::uuid, ${u}::uuid, ${status}, ${ts(m.at)})`.execute(db);
      }
    }
  }
  return { users, chats, messages, readUpTo };
}
