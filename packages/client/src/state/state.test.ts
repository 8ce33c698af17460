import type { ConversationEvent, InboxEntry, Message } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { backoffDelay, reconnectDelay, resolveBackoff } from '../backoff.js';
import { InboxState, applyEventToEntry } from './inbox.js';
import { ConversationMessages, MessagesSnapshotBuilder } from './messages.js';
import { mergeReceipt, summarize } from './receipts.js';
import type { OutboxItem } from '../outbox.js';

const msg = (seq: number, senderId = 'ben', extra: Partial<Message> = {}): Message => ({
  conversationId: 'c1', seq, id: `m${seq}`, senderId, kind: 'text', text: `hello ${seq}`, attachments: [], replyTo: null,
  mentions: [], reactions: {}, clientId: `k${seq}`, call: null, metadata: {}, pinned: false, createdAt: 1000 + seq,
  editedAt: null, deletedAt: null, ...extra,
});
const ev = (m: Message): ConversationEvent => ({ type: 'message', conversationId: m.conversationId, seq: m.seq, actorId: m.senderId, at: m.createdAt, message: m });
const entry = (lastSeq = 1, unread = 0, readSeq = 1): InboxEntry => ({
  conversation: {
    id: 'c1', kind: 'group', title: 'g', avatarUrl: null, createdBy: 'ana', createdAt: 1, lastSeq, messageCount: 0, lastActivityAt: 1,
    lastMessage: null, memberCount: 3, directPair: [], metadata: {}, messageTtlSeconds: null,
  },
  member: { conversationId: 'c1', userId: 'ana', role: 'owner', joinSeq: 1, leftSeq: null, deliveredSeq: readSeq, readSeq, mutedUntil: null, joinedAt: 1 },
  unread,
  peer: null,
});

describe('backoff', () => {
  const o = resolveBackoff({ baseMs: 100, capMs: 1000 });
  it('grows exponentially up to the cap, with full jitter', () => {
    expect(backoffDelay(0, o, () => 0.999)).toBe(99);
    expect(backoffDelay(3, o, () => 0.999)).toBe(799);
    expect(backoffDelay(10, o, () => 0.999)).toBe(999);
    expect(backoffDelay(50, o, () => 0.5)).toBe(500);
    expect(backoffDelay(5, o, () => 0)).toBe(0);
  });
  it('spreads clients: delays are uniform below the ceiling', () => {
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const delays = Array.from({ length: 2000 }, () => backoffDelay(4, o, random));
    const mean = delays.reduce((a, b) => a + b, 0) / delays.length;
    expect(Math.max(...delays)).toBeLessThan(1000);
    expect(mean).toBeGreaterThan(400);
    expect(mean).toBeLessThan(600);
  });
  it('backs off longer after 4008 and 4029', () => {
    const p = resolveBackoff({ penaltyMs: 10_000 });
    expect(reconnectDelay(0, 4008, p, () => 0)).toBe(5000);
    expect(reconnectDelay(0, 4029, p, () => 0.999)).toBeGreaterThan(9000);
    expect(reconnectDelay(0, 1001, p, () => 0.5)).toBe(250);
  });
});

describe('inbox reducer', () => {
  it('counts messages from others after readSeq, deduplicates by seq', () => {
    let e = entry(1, 0, 1);
    e = applyEventToEntry(e, ev(msg(2)), 'ana');
    e = applyEventToEntry(e, ev(msg(3)), 'ana');
    expect(e.unread).toBe(2);
    expect(applyEventToEntry(e, ev(msg(3)), 'ana')).toBe(e);
    expect(e.conversation.lastMessage?.text).toBe('hello 3');
    expect(e.conversation.lastSeq).toBe(3);
  });
  it("the user's own message reads everything before it", () => {
    let e = applyEventToEntry(entry(1, 0, 1), ev(msg(2)), 'ana');
    e = applyEventToEntry(e, ev(msg(3, 'ana')), 'ana');
    expect(e.unread).toBe(0);
    expect(e.member.readSeq).toBe(3);
  });
  it('edits and deletes update the preview; membership events the counts', () => {
    let e = applyEventToEntry(entry(1), ev(msg(2)), 'ana');
    e = applyEventToEntry(e, { type: 'message.edited', conversationId: 'c1', seq: 3, actorId: 'ben', at: 5, target: 2, text: 'fixed' }, 'ana');
    expect(e.conversation.lastMessage?.text).toBe('fixed');
    e = applyEventToEntry(e, { type: 'message.deleted', conversationId: 'c1', seq: 4, actorId: 'ben', at: 6, target: 2 }, 'ana');
    expect(e.conversation.lastMessage).toMatchObject({ text: null, deleted: true });
    e = applyEventToEntry(e, { type: 'member.left', conversationId: 'c1', seq: 5, actorId: 'cy', at: 7, userId: 'cy', removed: false }, 'ana');
    expect(e.conversation.memberCount).toBe(2);
    expect(e.unread).toBe(1);
  });
  it('own receipts from another device: exact count when messages are held, else resync', () => {
    const s = new InboxState();
    s.applyEntries([entry(5, 3, 2)]);
    expect(s.applyOwnReceipt({ conversationId: 'c1', userId: 'ana', readSeq: 5, deliveredSeq: 5 }, () => undefined)).toBe('applied');
    expect(s.get('c1')!.unread).toBe(0);
    s.applyEntries([entry(8, 3, 5)]);
    expect(s.applyOwnReceipt({ conversationId: 'c1', userId: 'ana', readSeq: 6, deliveredSeq: 6 }, () => undefined)).toBe('resync');
    expect(s.applyOwnReceipt({ conversationId: 'c1', userId: 'ana', readSeq: 7, deliveredSeq: 7 }, () => 1)).toBe('applied');
    expect(s.get('c1')!.unread).toBe(1);
  });
  it('server entries replace local guesses unless local has seen later events', () => {
    const s = new InboxState();
    s.applyEntries([entry(5, 3, 2)]);
    s.applyEntries([entry(5, 1, 4)]);
    expect(s.get('c1')!.unread).toBe(1);
    s.applyEvent(ev(msg(6)), 'ana');
    s.applyEntries([entry(5, 0, 5)]);
    expect(s.get('c1')!.conversation.lastSeq).toBe(6);
    expect(s.get('c1')!.member.readSeq).toBe(5);
    expect(s.applyEvent({ ...ev(msg(9)), conversationId: 'zz' }, 'ana')).toBe('unknown');
  });
  it('a delivery receipt keeps the unread count (no resync); a row older than our own read keeps the read watermark', () => {
    const s = new InboxState();
    s.applyEntries([entry(5, 3, 2)]);
    expect(s.applyOwnReceipt({ conversationId: 'c1', userId: 'ana', readSeq: 2, deliveredSeq: 5 }, () => undefined)).toBe('applied');
    expect(s.get('c1')!.unread).toBe(3);
    s.applyOwnReceipt({ conversationId: 'c1', userId: 'ana', readSeq: 5, deliveredSeq: 5 }, () => undefined);
    // a sync computed before that read: the row takes over, the watermarks do not move back
    expect(s.applyEntries([entry(5, 3, 2)])).toEqual({ ahead: new Set(), unsure: new Set() });
    expect(s.get('c1')!).toMatchObject({ unread: 0, member: { readSeq: 5, deliveredSeq: 5 } });
    s.applyOwnReceipt({ conversationId: 'c1', userId: 'ana', readSeq: 5, deliveredSeq: 5 }, () => undefined);
    expect(s.applyEntries([entry(8, 4, 2)]).unsure).toEqual(new Set(['c1']));
    expect(s.get('c1')!.member.readSeq).toBe(5);
    s.applyEvent(ev(msg(9)), 'ana');
    expect(s.applyEntries([entry(8, 3, 5)]).ahead).toEqual(new Set(['c1']));
  });
  it('snapshot: sorted by activity, unreadTotal skips muted conversations, stable fields', () => {
    const s = new InboxState();
    const a = entry(2, 2);
    const b = { ...entry(3, 5), conversation: { ...entry().conversation, id: 'c2', lastActivityAt: 50 }, member: { ...entry().member, conversationId: 'c2', mutedUntil: Date.now() + 60_000 } };
    s.applyEntries([a, b]);
    const snap = s.snapshot(Date.now());
    expect(snap.items.map((i) => i.conversation.id)).toEqual(['c2', 'c1']);
    expect(snap.unreadTotal).toBe(2);
  });
});

describe('messages window', () => {
  it('orders by seq, deduplicates, keeps the newest `limit`', () => {
    const c = new ConversationMessages('c1', 3);
    for (const s of [4, 2, 3, 2, 5, 1]) c.insert(msg(s));
    expect(c.list().map((m) => m.seq)).toEqual([3, 4, 5]);
    expect(c.hasOlder).toBe(true);
    c.insertOlder([msg(1), msg(2)], false);
    expect(c.list().map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(c.hasOlder).toBe(false);
  });
  it('applies edits, deletes, reactions and pins idempotently; an ack never undoes them', () => {
    const c = new ConversationMessages('c1', 10);
    c.insert(msg(1));
    const base = { conversationId: 'c1', actorId: 'ben', at: 9, target: 1 } as const;
    c.apply({ ...base, type: 'message.edited', seq: 2, text: 'new' });
    c.apply({ ...base, type: 'message.reaction', seq: 3, emoji: '👍', added: true });
    c.apply({ ...base, type: 'message.reaction', seq: 3, emoji: '👍', added: true });
    c.apply({ ...base, type: 'message.pinned', seq: 4, pinned: true });
    expect(c.get(1)).toMatchObject({ text: 'new', editedAt: 9, reactions: { '👍': ['ben'] }, pinned: true });
    expect(c.insert(msg(1))).toBe(false);
    expect(c.get(1)!.text).toBe('new');
    c.apply({ ...base, type: 'message.deleted', seq: 5 });
    expect(c.get(1)).toMatchObject({ text: null, reactions: {}, pinned: false });
    expect(c.get(1)!.deletedAt).toBe(9);
  });
});

describe('receipts and snapshots', () => {
  const r = (userId: string, deliveredSeq: number, readSeq: number) => ({ conversationId: 'c1', userId, deliveredSeq, readSeq });
  it('aggregates group receipts: read/delivered by all vs some', () => {
    expect(summarize(5, 'ana', [r('ana', 5, 5), r('ben', 5, 5), r('cy', 5, 2)])).toEqual({ status: 'delivered', delivered: 2, read: 1, recipients: 2 });
    expect(summarize(5, 'ana', [r('ben', 5, 5), r('cy', 6, 6)]).status).toBe('read');
    expect(summarize(5, 'ana', [r('ben', 4, 4), r('cy', 6, 6)]).status).toBe('sent');
    expect(summarize(5, 'ana', []).status).toBe('sent');
  });
  it('watermarks never move backwards', () => {
    const a = mergeReceipt(undefined, r('ben', 3, 2));
    expect(mergeReceipt(a, r('ben', 1, 1))).toBe(a);
    expect(mergeReceipt(a, r('ben', 1, 4))).toMatchObject({ deliveredSeq: 4, readSeq: 4 });
  });
  it('snapshots are stable until something changes; rows are reused; pending rows follow confirmed ones', () => {
    const c = new ConversationMessages('c1', 10);
    c.loaded = true;
    c.insert(msg(1, 'ana'));
    c.insert(msg(2, 'ben'));
    c.applyReceipt(r('ben', 0, 0));
    const item: OutboxItem = { clientId: 'x', conversationId: 'c1', params: { conversationId: 'c1', clientId: 'x', text: 'pending' }, status: 'sending', attempts: 0, failures: 0, createdAt: 5, userId: 'ana', error: null };
    const b = new MessagesSnapshotBuilder();
    const s1 = b.build(c, 'c1', [item], 'ana');
    expect(s1.messages.map((m) => [m.key, m.status])).toEqual([['k1', 'sent'], ['k2', null], ['x', 'sending']]);
    const s2 = b.build(c, 'c1', [item], 'ana');
    expect(s2.messages[0]).toBe(s1.messages[0]);
    expect(s2.messages[2]).toBe(s1.messages[2]);
    c.applyReceipt(r('ben', 1, 1));
    const s3 = b.build(c, 'c1', [item], 'ana');
    expect(s3.messages[0]!.status).toBe('read');
    expect(s3.messages[1]).toBe(s1.messages[1]);
    c.apply(ev(msg(3, 'ana', { clientId: 'x' })));
    c.apply(ev(msg(4, 'ben')));
    expect(c.receipts.get('ben')).toMatchObject({ readSeq: 4, deliveredSeq: 4 });
    const s4 = b.build(c, 'c1', [item], 'ana');
    expect(s4.messages.map((m) => m.key)).toEqual(['k1', 'k2', 'x', 'k4']);
    expect(s4.messages[2]).toMatchObject({ seq: 3, status: 'read' });
  });
});

describe('moderation state in the inbox', () => {
  const mod = (seq: number, action: 'freeze' | 'unfreeze' | 'slowMode' | 'ban', extra: Record<string, unknown> = {}): ConversationEvent =>
    ({ type: 'moderation', conversationId: 'c1', seq, actorId: 'ana', at: seq, action, reason: null, ...extra }) as ConversationEvent;
  it('follows freeze and slow mode events, and leaves bans to the log', () => {
    let e = applyEventToEntry(entry(1), mod(2, 'freeze'), 'ana');
    expect(e.conversation.moderation).toEqual({ frozen: true, slowModeMs: null });
    e = applyEventToEntry(e, mod(3, 'slowMode', { slowModeMs: 5000 }), 'ana');
    e = applyEventToEntry(e, mod(4, 'unfreeze'), 'ana');
    expect(e.conversation.moderation).toEqual({ frozen: false, slowModeMs: 5000 });
    e = applyEventToEntry(e, mod(5, 'ban', { userId: 'ben' }), 'ana');
    expect(e.conversation.moderation).toEqual({ frozen: false, slowModeMs: 5000 });
    expect(e.conversation.lastSeq).toBe(5);
  });
});
