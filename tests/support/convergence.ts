import type { Chat } from '@parley/core';
import { summarize, type ParleyClient } from '@parley/client';
import type { Message } from '@parley/protocol';

/** The fields of a message that must be identical on a device and in the database. */
export function comparable(m: Pick<Message, 'senderId' | 'kind' | 'text' | 'clientId' | 'editedAt' | 'deletedAt' | 'reactions' | 'pinned' | 'replyTo'> & { seq: number | null; id: string | null }) {
  const reactions = Object.fromEntries(
    Object.entries(m.reactions)
      .filter(([, users]) => users.length > 0)
      .map(([emoji, users]) => [emoji, [...users].sort()])
      .sort(([a], [b]) => (a! < b! ? -1 : 1)),
  );
  return { seq: m.seq, id: m.id, senderId: m.senderId, kind: m.kind, text: m.text, clientId: m.clientId, editedAt: m.editedAt, deletedAt: m.deletedAt, reactions, pinned: m.pinned, replyTo: m.replyTo };
}

/** Every message `userId` may see in a conversation with seq >= `fromSeq`, read page by page through the engine. */
export async function historyFrom(chat: Chat, userId: string, conversationId: string, fromSeq: number): Promise<Message[]> {
  const out: Message[] = [];
  let after = Math.max(0, fromSeq - 1);
  for (;;) {
    const { events, hasMore } = await chat.as(userId).history({ conversationId, after, limit: 200 });
    for (const e of events) if (e.type === 'message') out.push(e.message);
    const last = events.at(-1)?.seq;
    if (!hasMore || last === undefined) return out;
    after = last;
  }
}

/** One device of a user, as the checks see it. */
export interface DeviceUnderTest {
  name: string;
  userId: string;
  client: ParleyClient;
  /** Conversations the device holds (opened). */
  held: string[];
}

/**
 * Compare one device with the server. Returns human-readable differences (empty when equal):
 * messages (held window vs database, seq order, no duplicates), inbox rows (lastSeq, unread,
 * watermarks), unread total, and the receipt summaries of the user's own messages.
 */
export async function differences(chat: Chat, d: DeviceUnderTest): Promise<string[]> {
  const out: string[] = [];
  const c = d.client;
  if (c.state !== 'ready') out.push(`${d.name}: state ${c.state}`);
  if (c.outbox.getSnapshot().length > 0) out.push(`${d.name}: ${c.outbox.getSnapshot().length} messages still in the outbox`);
  for (const conversationId of d.held) {
    const snap = c.messages(conversationId).getSnapshot();
    const held = snap.messages;
    const pending = held.filter((m) => m.seq === null);
    if (pending.length > 0) out.push(`${d.name} ${conversationId}: ${pending.length} pending messages`);
    const confirmed = held.filter((m) => m.seq !== null);
    for (let i = 1; i < confirmed.length; i++) {
      if (confirmed[i]!.seq! <= confirmed[i - 1]!.seq!) out.push(`${d.name} ${conversationId}: seq ${confirmed[i]!.seq} after ${confirmed[i - 1]!.seq} (out of order or duplicated)`);
    }
    const keys = new Set(confirmed.map((m) => m.key));
    if (keys.size !== confirmed.length) out.push(`${d.name} ${conversationId}: duplicated message keys`);
    const oldest = confirmed[0]?.seq ?? 1;
    const db = await historyFrom(chat, d.userId, conversationId, snap.hasOlder ? oldest : 1);
    const mine = confirmed.map(comparable);
    const theirs = db.map(comparable);
    if (JSON.stringify(mine) !== JSON.stringify(theirs)) {
      const a = new Map(mine.map((m) => [m.seq, JSON.stringify(m)]));
      const b = new Map(theirs.map((m) => [m.seq, JSON.stringify(m)]));
      const seqs = [...new Set([...a.keys(), ...b.keys()])].sort((x, y) => x! - y!);
      const diff = seqs.filter((s) => a.get(s) !== b.get(s)).slice(0, 3);
      out.push(
        `${d.name} ${conversationId}: ${mine.length} held vs ${theirs.length} in the database (hasOlder=${snap.hasOlder}); first differences: ` +
          diff.map((s) => `seq ${s}: device ${a.get(s) ?? 'missing'} / db ${b.get(s) ?? 'missing'}`).join('; '),
      );
    }
    const receipts = await chat.as(d.userId).receipts({ conversationId });
    for (const m of confirmed) {
      if (m.senderId !== d.userId) continue;
      const want = summarize(m.seq!, d.userId, receipts);
      if (JSON.stringify(m.receipt) !== JSON.stringify(want) || m.status !== want.status) {
        out.push(`${d.name} ${conversationId} seq ${m.seq}: receipt ${JSON.stringify(m.receipt)} status ${m.status}, server says ${JSON.stringify(want)}`);
        break;
      }
    }
  }
  const inbox = c.inbox.getSnapshot();
  const server = await chat.as(d.userId).inbox({ limit: 200 });
  const row = (e: (typeof server.items)[number]) =>
    JSON.stringify({ lastSeq: e.conversation.lastSeq, unread: e.unread, readSeq: e.member.readSeq, deliveredSeq: e.member.deliveredSeq, lastMessageSeq: e.conversation.lastMessage?.seq ?? null });
  const serverRows = new Map(server.items.map((e) => [e.conversation.id, row(e)]));
  const deviceRows = new Map(inbox.items.map((e) => [e.conversation.id, row(e)]));
  for (const id of new Set([...serverRows.keys(), ...deviceRows.keys()])) {
    if (serverRows.get(id) !== deviceRows.get(id)) out.push(`${d.name} inbox ${id}: device ${deviceRows.get(id) ?? 'missing'} / server ${serverRows.get(id) ?? 'missing'}`);
  }
  const total = await chat.as(d.userId).unreadTotal({});
  if (inbox.unreadTotal !== total.total) out.push(`${d.name}: unreadTotal ${inbox.unreadTotal} / server ${total.total}`);
  return out;
}
