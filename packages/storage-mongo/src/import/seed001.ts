import { AsyncLocalStorage } from 'node:async_hooks';
import { createChat, createImportReport, createUuidV7, type ChatStore, type ImportReport } from '@parley/core';
import type { Attachment, MessageKind } from '@parley/protocol';
import type { Db, Document, ObjectId } from 'mongodb';

/** Options of {@link importSeed001}. */
export interface Seed001ImportOptions {
  /** The database holding seed 001's collections `chats`, `messages` (with `readBy`) and `calls`. */
  source: Db;
  /** Where the data goes: any Parley store (Postgres, PGlite, MongoDB, memory). */
  target: ChatStore;
  /**
   * Display names of the users (seed 001 keeps its users in Postgres). Users it does not know are
   * created with their id as display name. Default: none known.
   */
  userName?: (userId: string) => string | undefined | Promise<string | undefined>;
  /** Messages read per page. Default 1000. */
  pageSize?: number;
}

/** What an import did; `unmapped[].source` is the seed 001 collection. */
export type Seed001ImportReport = ImportReport;

const KINDS: Record<string, Exclude<MessageKind, 'call' | 'system'>> = { text: 'text', image: 'image', video: 'video', audio: 'audio', file: 'file' };
const MIME: Record<string, string> = { jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', gif: 'image/gif', webp: 'image/webp', mp4: 'video/mp4', mp3: 'audio/mpeg', m4a: 'audio/mp4', ogg: 'audio/ogg', pdf: 'application/pdf' };
const mimeOf = (url: string) => MIME[/\.([a-z0-9]+)(?:[?#]|$)/i.exec(url)?.[1]?.toLowerCase() ?? ''] ?? 'application/octet-stream';
const time = (v: unknown) => (v instanceof Date ? v.getTime() : typeof v === 'number' ? v : new Date(String(v)).getTime());
const hex = (id: unknown) => (typeof id === 'object' && id !== null && 'toHexString' in id ? (id as ObjectId).toHexString() : String(id));

/**
 * Import seed 001's MongoDB collections into any Parley store, through the engine: `direct` chats
 * as direct conversations (one per pair), `group` chats as groups (the first participant owns
 * it), messages in (`createdAt`, `_id`) order with their timestamps, media types as attachments
 * when the message is a URL, and each member's read and delivered position: the newest message
 * whose `readBy` holds them. Call messages and the `calls` collection are reported, not imported
 * (seed 001's calls name no conversation). Idempotent and resumable: message client ids are the
 * source ids, group ids the chat ids, watermarks only move forward.
 */
export async function importSeed001(options: Seed001ImportOptions): Promise<Seed001ImportReport> {
  const moment = new AsyncLocalStorage<{ now: number; ids: string[] }>();
  const uuid = createUuidV7({ now: () => Date.now() });
  const chat = createChat({
    store: options.target,
    clock: { now: () => moment.getStore()?.now ?? Date.now() },
    ids: { next: () => moment.getStore()?.ids.shift() ?? uuid.next() },
  });
  const at = <T>(now: number, ids: string[], fn: () => Promise<T>) => moment.run({ now, ids: [...ids] }, fn);
  const { report, unmapped: record } = createImportReport();
  const unmapped = (collection: string, id: unknown, reason: string) => record(collection, hex(id), reason);

  const known = new Set<string>();
  const ensureUser = async (id: string, now: number) => {
    if (known.has(id)) return;
    known.add(id);
    if ((await options.target.getUsers([id])).length === 0) {
      const displayName = ((await options.userName?.(id)) ?? id).slice(0, 100);
      await at(now, [], () => chat.upsertUser({ id, displayName }));
    }
    report.users += 1;
  };
  const conversationOf = new Map<string, string>();
  try {
    for await (const c of options.source.collection('chats').find({}).sort({ createdAt: 1, _id: 1 })) {
      const id = hex(c._id);
      const participants = [...new Set((c.participants as unknown[] | undefined)?.map(String) ?? [])];
      const created = time(c.createdAt);
      for (const p of participants) await ensureUser(p, created);
      try {
        if (c.type === 'direct') {
          if (participants.length !== 2) {
            unmapped('chats', id, `direct chat with ${participants.length} participants`);
            continue;
          }
          const d = await at(created, [id], () => chat.as(participants[0]!, { unlimited: true }).openDirect({ userId: participants[1]! }));
          conversationOf.set(id, d.id);
          report.directs += 1;
        } else if (participants.length === 0) {
          unmapped('chats', id, 'group without participants');
        } else {
          const [owner, ...rest] = participants;
          const as = chat.as(owner!, { unlimited: true });
          if (!(await options.target.getConversation(id))) {
            await at(created, [id], () => as.createGroup({ title: 'Group', memberIds: rest.slice(0, 1000) }));
          }
          const missing: string[] = [];
          for (const user of rest) if (!(await options.target.getMember(id, user))) missing.push(user);
          for (let i = 0; i < missing.length; i += 1000) await at(created, [], () => as.addMembers({ conversationId: id, userIds: missing.slice(i, i + 1000) }));
          conversationOf.set(id, id);
          report.groups += 1;
        }
      } catch (error) {
        unmapped('chats', id, `refused: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    // per `${conversationId}\n${userId}`: the newest seq whose readBy holds the user
    const readUpTo = new Map<string, number>();
    const pageSize = options.pageSize ?? 1000;
    let cursor: { createdAt: unknown; _id: unknown } | null = null;
    for (;;) {
      const filter: Document = cursor
        ? { $or: [{ createdAt: { $gt: cursor.createdAt } }, { createdAt: cursor.createdAt, _id: { $gt: cursor._id } }] }
        : {};
      const page = await options.source.collection('messages').find(filter).sort({ createdAt: 1, _id: 1 }).limit(pageSize).toArray();
      for (const m of page) await importMessage(m);
      if (page.length < pageSize) break;
      const last = page[page.length - 1]!;
      cursor = { createdAt: last.createdAt, _id: last._id };
    }
    for (const [k, seq] of readUpTo) {
      const [conversationId, userId] = k.split('\n') as [string, string];
      const member = await options.target.getMember(conversationId, userId);
      if (!member || member.readSeq >= seq) continue;
      await options.target.advanceWatermarks({ conversationId, userId, readSeq: seq, now: Date.now() });
      report.watermarks += 1;
    }
    const calls = await options.source.collection('calls').countDocuments({});
    if (calls > 0) unmapped('calls', `${calls} documents`, 'calls are not imported: seed 001 calls name no conversation');
    return report;

    async function importMessage(m: Document): Promise<void> {
      const id = hex(m._id);
      const conversationId = conversationOf.get(hex(m.chatId));
      if (!conversationId) return unmapped('messages', id, 'its chat was not imported');
      if (m.messageType === 'call') return unmapped('messages', id, 'call messages are not imported');
      const content = typeof m.message === 'string' ? m.message : '';
      const kind = KINDS[String(m.messageType)] ?? 'text';
      const media = kind !== 'text' && /^https?:\/\/\S+$/.test(content);
      const attachments: Attachment[] = media ? [{ url: content, mime: mimeOf(content), size: 0 }] : [];
      if (!media && content.length === 0) return unmapped('messages', id, 'empty message');
      const sender = String(m.senderId);
      const before = (await options.target.getConversation(conversationId))?.lastSeq ?? 0;
      let sent;
      try {
        const input = { conversationId, clientId: id, kind: media ? kind : ('text' as const), attachments, ...(media ? {} : { text: content }) };
        sent = await at(time(m.createdAt), [id], () => chat.as(sender, { unlimited: true }).send(input));
      } catch (error) {
        return unmapped('messages', id, `refused: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (sent.seq <= before) report.skipped += 1;
      else report.messages += 1;
      for (const reader of (m.readBy as unknown[] | undefined) ?? []) {
        const k = `${conversationId}\n${String(reader)}`;
        readUpTo.set(k, Math.max(readUpTo.get(k) ?? 0, sent.seq));
      }
    }
  } finally {
    await chat.close();
  }
}
