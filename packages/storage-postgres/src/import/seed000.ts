import { AsyncLocalStorage } from 'node:async_hooks';
import { createChat, createImportReport, createUuidV7, type Chat, type ChatStore, type ImportReport } from '@parley/core';
import type { Attachment, MessageKind } from '@parley/protocol';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { createPostgresStore } from '../postgres-store.js';

/** Options of {@link importSeed000}. */
export interface Seed000ImportOptions {
  /** The database shaped like seed 000 (tables users, chats, chat_members, messages, message_status). */
  source: Kysely<unknown>;
  /** Schema of the seed 000 tables. Default `public`. */
  sourceSchema?: string;
  /** The Parley database, migrated (`migrate`). */
  target: Kysely<unknown>;
  /** Schema of Parley's tables. Default: the connection's search_path. */
  targetSchema?: string;
  /** Messages read per page of the source. Default 1000. */
  pageSize?: number;
  /** Conversations imported at once within a page (each one's messages stay in order). Default 8. */
  concurrency?: number;
  /** Called after every page of messages with the running totals. */
  onProgress?: (report: Seed000ImportReport) => void;
}

/** What an import did; `unmapped[].source` is the seed 000 table. */
export type Seed000ImportReport = ImportReport;

type Row = Record<string, unknown>;

const KINDS: Record<string, Exclude<MessageKind, 'call' | 'system'>> = { text: 'text', image: 'image', video: 'video', audio: 'audio', document: 'file' };
/** MIME types by file extension of a media URL (seed 000 stores none); unknown ones are `application/octet-stream`. */
const MIME_BY_EXTENSION: Record<string, string> = {
  jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', gif: 'image/gif', webp: 'image/webp', heic: 'image/heic',
  mp4: 'video/mp4', mov: 'video/quicktime', webm: 'video/webm', mp3: 'audio/mpeg', m4a: 'audio/mp4', ogg: 'audio/ogg',
  opus: 'audio/opus', pdf: 'application/pdf', txt: 'text/plain', zip: 'application/zip',
};
const mimeOf = (url: string) => MIME_BY_EXTENSION[/\.([a-z0-9]+)(?:[?#]|$)/i.exec(url)?.[1]?.toLowerCase() ?? ''] ?? 'application/octet-stream';

/** Milliseconds of a `timestamp` column read as `extract(epoch …) * 1000` (no time-zone guessing by the driver). */
const ms = (v: unknown): number => Number(v);
const epoch = (column: RawBuilder<unknown>) => sql`(extract(epoch from ${column}) * 1000)::bigint`;

/**
 * Import a chat database shaped like seed 000 into Parley, through the engine (every rule and
 * invariant applies): users (ids kept), `individual` chats as direct conversations (several chats
 * of one pair become one), `group` chats as groups with their members and roles (`created_by` is
 * the owner, `admin` stays admin), messages in time order with replies, edits (as an edit to the
 * current text) and deletes (tombstones, content erased), media as attachment metadata, and each
 * member's read and delivered positions from `message_status`. Engine timestamps are the source's.
 *
 * Resumable and idempotent: conversation ids are the source chat ids (directs: found by pair),
 * message ids the source message ids and their client ids too, so a rerun returns the messages
 * already sent instead of sending them twice, and watermarks only move forward. Members join at
 * the start of their conversation, so they see all its history, as seed 000 shows it.
 */
export async function importSeed000(options: Seed000ImportOptions): Promise<Seed000ImportReport> {
  const src = (name: string) => sql.table(`${options.sourceSchema ?? 'public'}.${name}`);
  const read = async (q: RawBuilder<Row>) => (await q.execute(options.source)).rows;
  const store = createPostgresStore({ db: options.target, ...(options.targetSchema ? { schema: options.targetSchema } : {}) });
  // the engine's clock and ids, per import step: the source's timestamps and ids (steps run concurrently)
  const moment = new AsyncLocalStorage<{ now: number; ids: string[] }>();
  const uuid = createUuidV7({ now: () => Date.now() });
  const chat = createChat({ store, clock: { now: () => moment.getStore()?.now ?? Date.now() }, ids: { next: () => moment.getStore()?.ids.shift() ?? uuid.next() } });
  const at: At = (now, ids, fn) => moment.run({ now, ids: [...ids] }, fn);
  const { report, unmapped: record } = createImportReport();
  const unmapped = (table: string, id: unknown, reason: string) => record(table, String(id), reason);

  try {
    for (const u of await read(sql<Row>`select user_id, name, profile_pic_url, status_message, ${epoch(sql.ref('created_at'))} as created_at from ${src('users')} order by 5, user_id`)) {
      const name = String(u.name ?? '').trim() || 'User';
      const avatar = typeof u.profile_pic_url === 'string' && /^https?:\/\//.test(u.profile_pic_url) ? u.profile_pic_url : null;
      const profile = { id: String(u.user_id), displayName: name.slice(0, 100), avatarUrl: avatar, statusText: (u.status_message as string | null) ?? null };
      await at(ms(u.created_at), [], () => chat.upsertUser(profile));
      report.users += 1;
    }
    const conversationOf = await importChats(chat, store, read, src, report, unmapped, at);
    await importMessages(chat, store, options, read, src, conversationOf, report, unmapped, at);
    await importWatermarks(store, read, src, conversationOf, report, options.target, options.targetSchema);
    return report;
  } finally {
    await chat.close();
  }
}

type Read = (q: RawBuilder<Row>) => Promise<Row[]>;
type Src = (name: string) => ReturnType<typeof sql.table>;
type Unmapped = (table: string, id: unknown, reason: string) => void;
/** Run `fn` with the engine's clock at `now` and its next ids taken from `ids`. */
type At = <T>(now: number, ids: string[], fn: () => Promise<T>) => Promise<T>;

/** Run `work` over `items`, at most `limit` at once. */
async function pool<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

/** Chats and their members; returns source chat id → Parley conversation id. */
async function importChats(chat: Chat, store: ChatStore, read: Read, src: Src, report: Seed000ImportReport, unmapped: Unmapped, at: At) {
  const conversationOf = new Map<string, string>();
  const chats = await read(sql<Row>`select c.chat_id, c.chat_type, c.name, c.created_by, ${epoch(sql.ref('c.created_at'))} as created_at,
      coalesce(json_agg(json_build_object('user', m.user_id, 'role', m.role) order by m.joined_at, m.user_id) filter (where m.user_id is not null), '[]') as members
    from ${src('chats')} c left join ${src('chat_members')} m on m.chat_id = c.chat_id
    group by c.chat_id order by 5, c.chat_id`);
  for (const c of chats) {
    const id = String(c.chat_id);
    const members = (c.members as Array<{ user: string; role: string }>).map((m) => ({ user: String(m.user), role: m.role }));
    await at(ms(c.created_at), [id], () => importChat(chat, store, c, id, members, conversationOf, report, unmapped));
  }
  return conversationOf;
}

/** One chat; the group's id is the next id of the step (see {@link At}). */
async function importChat(
  chat: Chat,
  store: ChatStore,
  c: Row,
  id: string,
  members: Array<{ user: string; role: string }>,
  conversationOf: Map<string, string>,
  report: Seed000ImportReport,
  unmapped: Unmapped,
): Promise<void> {
  if (c.chat_type === 'individual') {
    if (members.length !== 2 || members[0]!.user === members[1]!.user) {
      unmapped('chats', id, `individual chat with ${members.length} members`);
      return;
    }
    try {
      const d = await chat.as(members[0]!.user, { unlimited: true }).openDirect({ userId: members[1]!.user });
      conversationOf.set(id, d.id);
      report.directs += 1;
    } catch (error) {
      unmapped('chats', id, `refused: ${error instanceof Error ? error.message : String(error)}`);
    }
    return;
  }
  if (members.length === 0) {
    unmapped('chats', id, 'group without members');
    return;
  }
  const owner = members.find((m) => m.user === c.created_by) ?? members.find((m) => m.role === 'admin') ?? members[0]!;
  try {
    const as = chat.as(owner.user, { unlimited: true });
    const rest = members.filter((m) => m !== owner).map((m) => m.user);
    if (!(await store.getConversation(id))) {
      await as.createGroup({ title: String(c.name ?? '').trim().slice(0, 100) || 'Group', memberIds: rest.slice(0, 1000) });
    }
    // a rerun after a crash midway adds whoever is still missing and sets roles not yet set
    const rows = await Promise.all(rest.map((user) => store.getMember(id, user)));
    const missing = rest.filter((_, i) => !rows[i]);
    for (let i = 0; i < missing.length; i += 1000) await as.addMembers({ conversationId: id, userIds: missing.slice(i, i + 1000) });
    for (const [i, user] of rest.entries()) {
      const admin = members.find((m) => m.user === user)!.role === 'admin';
      if (admin && rows[i]?.role !== 'admin') await as.setRole({ conversationId: id, userId: user, role: 'admin' });
    }
    conversationOf.set(id, id);
    report.groups += 1;
  } catch (error) {
    unmapped('chats', id, `refused: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Messages in (created_at, message_id) order, paged by keyset. */
async function importMessages(
  chat: Chat,
  store: ChatStore,
  options: Seed000ImportOptions,
  read: Read,
  src: Src,
  conversationOf: Map<string, string>,
  report: Seed000ImportReport,
  unmapped: Unmapped,
  at: At,
) {
  const pageSize = options.pageSize ?? 1000;
  let cursor: { at: unknown; id: string } | null = null;
  for (;;) {
    const after: RawBuilder<unknown> = cursor ? sql`where (m.created_at, m.message_id) > (${cursor.at}::timestamp, ${cursor.id}::uuid)` : sql``;
    const page = await read(sql<Row>`select m.message_id, m.chat_id, m.sender_id, m.message_type, m.content, m.media_url,
        m.thumbnail_url, m.file_size, m.reply_to, m.is_edited, m.is_deleted, m.created_at::text as at_text,
        ${epoch(sql.ref('m.created_at'))} as created_at, ${epoch(sql.ref('m.updated_at'))} as updated_at
      from ${src('messages')} m ${after} order by m.created_at, m.message_id limit ${pageSize}`);
    // one lane per conversation: its messages in order, other conversations alongside
    const lanes = new Map<string, Row[]>();
    for (const m of page) {
      const lane = conversationOf.get(String(m.chat_id)) ?? '';
      lanes.set(lane, [...(lanes.get(lane) ?? []), m]);
    }
    await pool([...lanes.values()], options.concurrency ?? 8, async (rows) => {
      for (const m of rows) await importMessage(chat, store, m, conversationOf, report, unmapped, at, options);
    });
    if (page.length < pageSize) return;
    const last = page[page.length - 1]!;
    cursor = { at: last.at_text, id: String(last.message_id) };
    options.onProgress?.(report);
  }
}

async function importMessage(
  chat: Chat,
  store: ChatStore,
  m: Row,
  conversationOf: Map<string, string>,
  report: Seed000ImportReport,
  unmapped: Unmapped,
  at: At,
  options: Seed000ImportOptions,
) {
  const id = String(m.message_id);
  const conversationId = conversationOf.get(String(m.chat_id));
  if (!conversationId) return unmapped('messages', id, 'its chat was not imported');
  if (m.sender_id === null) return unmapped('messages', id, 'no sender');
  const kind = KINDS[String(m.message_type)] ?? 'text';
  const attachments: Attachment[] = [];
  if (typeof m.media_url === 'string' && /^https?:\/\//.test(m.media_url)) {
    attachments.push({
      url: m.media_url,
      mime: mimeOf(m.media_url),
      size: Number(m.file_size ?? 0),
      ...(typeof m.thumbnail_url === 'string' && /^https?:\/\//.test(m.thumbnail_url) ? { thumbnailUrl: m.thumbnail_url } : {}),
    });
  }
  const text = typeof m.content === 'string' && m.content.length > 0 ? m.content : null;
  if (text === null && attachments.length === 0) return unmapped('messages', id, 'neither content nor a usable media_url');
  let replyTo = m.reply_to === null ? null : await seqOfClientId(options, conversationId, String(m.reply_to));
  if (m.reply_to !== null && replyTo === null) unmapped('messages', id, 'reply_to not found in the same conversation: imported without it');
  if (replyTo !== null && (await store.getMessage(conversationId, replyTo))?.deletedAt != null) {
    unmapped('messages', id, 'reply_to a deleted message: imported without it');
    replyTo = null;
  }
  const sender = chat.as(String(m.sender_id), { unlimited: true });
  // imported by an earlier run: only the edit or delete may be missing (a crash in between)
  const done = await seqOfClientId(options, conversationId, id);
  let sent = done === null ? null : await store.getMessage(conversationId, done);
  if (sent) report.skipped += 1;
  else {
    const input = { conversationId, clientId: id, kind, ...(text === null ? {} : { text }), attachments, ...(replyTo === null ? {} : { replyTo }) };
    try {
      sent = await at(ms(m.created_at), [id], () => sender.send(input));
    } catch (error) {
      return unmapped('messages', id, `refused: ${error instanceof Error ? error.message : String(error)}`);
    }
    report.messages += 1;
  }
  if (m.is_deleted === true && sent.deletedAt === null) {
    const seq = sent.seq;
    await at(ms(m.updated_at ?? m.created_at), [], () => sender.delete({ conversationId, seq, scope: 'everyone' }));
    await store.purgeDeleted({ deletedBefore: Number.MAX_SAFE_INTEGER, conversationId, seqs: [sent.seq] });
  } else if (m.is_edited === true && sent.editedAt === null && sent.deletedAt === null && text !== null) {
    // the engine ignores an edit to the same text; the source only knows the text after its edits
    const at = ms(m.updated_at ?? m.created_at);
    await store.append({ draft: { type: 'message.edited', conversationId, actorId: sent.senderId, at, target: sent.seq, text }, targetNotDeleted: true });
  }
}

/** The seq of the message sent with this client id (= source message id) in a conversation, or null. */
async function seqOfClientId(options: Seed000ImportOptions, conversationId: string, clientId: string): Promise<number | null> {
  const events = sql.table(options.targetSchema ? `${options.targetSchema}.events` : 'events');
  const { rows } = await sql<Row>`select seq from ${events} where conversation_id = ${conversationId} and client_id = ${clientId} and type = 1 limit 1`.execute(options.target);
  return rows[0] ? Number(rows[0].seq) : null;
}

/** Read and delivered positions: the newest message each member has a `read` (or `delivered`) status for. */
async function importWatermarks(store: ChatStore, read: Read, src: Src, conversationOf: Map<string, string>, report: Seed000ImportReport, target: Kysely<unknown>, targetSchema?: string) {
  const events = sql.table(targetSchema ? `${targetSchema}.events` : 'events');
  let after = '';
  for (;;) {
    // per (chat, user): the newest message id with each status, by the message's time
    const page = await read(sql<Row>`select m.chat_id, s.user_id,
        (array_agg(m.message_id::text order by m.created_at desc, m.message_id desc) filter (where s.status = 'read'))[1] as read_id,
        (array_agg(m.message_id::text order by m.created_at desc, m.message_id desc) filter (where s.status in ('read', 'delivered')))[1] as delivered_id,
        m.chat_id::text || '/' || s.user_id::text as k
      from ${src('message_status')} s join ${src('messages')} m on m.message_id = s.message_id
      group by m.chat_id, s.user_id having m.chat_id::text || '/' || s.user_id::text > ${after}
      order by k limit 1000`);
    for (const r of page) {
      const conversationId = conversationOf.get(String(r.chat_id));
      if (!conversationId) continue;
      const ids = [r.read_id, r.delivered_id].filter((x): x is string => typeof x === 'string');
      const { rows } = await sql<Row>`select client_id, seq from ${events} where conversation_id = ${conversationId} and type = 1
        and client_id in (${sql.join(ids)})`.execute(target);
      const seqOf = new Map(rows.map((x) => [String(x.client_id), Number(x.seq)]));
      const readSeq = typeof r.read_id === 'string' ? seqOf.get(r.read_id) : undefined;
      const deliveredSeq = typeof r.delivered_id === 'string' ? seqOf.get(r.delivered_id) : undefined;
      if (readSeq === undefined && deliveredSeq === undefined) continue;
      const member = await store.getMember(conversationId, String(r.user_id));
      if (!member || (member.readSeq >= (readSeq ?? 0) && member.deliveredSeq >= Math.max(readSeq ?? 0, deliveredSeq ?? 0))) continue;
      const moved = await store.advanceWatermarks({
        conversationId,
        userId: String(r.user_id),
        ...(readSeq === undefined ? {} : { readSeq }),
        ...(deliveredSeq === undefined ? {} : { deliveredSeq }),
        now: Date.now(),
      });
      if (moved) report.watermarks += 1;
    }
    if (page.length < 1000) return;
    after = String(page[page.length - 1]!.k);
  }
}
