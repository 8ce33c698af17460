import type { Call, Contact, ConversationEvent, Message, Report, Restriction, User } from '@parley/protocol';
import { applyMutation, conversationChanges, newConversationRecord, previewOf, seesSeq, visibleMessage } from './apply.js';
import { ChatError } from './errors.js';
import { appendNeeds, appendRefused, checkAppend, type AppendState } from './preconditions.js';
import { moderationEffect, restrictionsPage } from './moderation.js';
import { countReports, reportKey, reportsPage } from './reports.js';
import { leftViewOf, messagesAsSeen } from './former-view.js';
import { createMemoryFeedStore } from './memory-feed-store.js';
import { createMemoryPushDeviceStore } from './memory-push-device-store.js';
import type {
  AppendInput,
  AppendResult,
  ChatStore,
  ConversationRecord,
  InboxRow,
  MemberRecord,
  SearchQuery,
} from './store.js';

interface StoredEvent {
  event: ConversationEvent;
  /** messageCount after this event. */
  ord: number;
}

const key = (...parts: string[]) => parts.join('\u0000');
const clone = <T>(value: T): T => structuredClone(value);

/**
 * The reference {@link ChatStore}: everything in memory, nothing persisted. Every method runs to
 * completion synchronously inside its promise, so each one is atomic by construction; the
 * conformance kit holds every other store to the behaviour of this one.
 */
export function createMemoryStore(): ChatStore {
  const users = new Map<string, User>();
  const contacts = new Map<string, Contact>();
  const conversations = new Map<string, ConversationRecord>();
  const directs = new Map<string, string>();
  const members = new Map<string, Map<string, MemberRecord>>();
  const memberships = new Map<string, Set<string>>();
  const logs = new Map<string, StoredEvent[]>();
  const clientIds = new Map<string, number>();
  const hidden = new Map<string, Set<number>>();
  const calls = new Map<string, Call>();
  const restrictions = new Map<string, Restriction[]>();
  const reports = new Map<string, Report[]>();
  const reportsOf = (conversationId: string) => {
    let list = reports.get(conversationId);
    if (!list) reports.set(conversationId, (list = []));
    return list;
  };
  /** Text as sent of messages edited at least once (key: conversation, seq); erased on delete. */
  const originals = new Map<string, string | null>();
  /** Seqs of the mutation events of each target message (key: conversation, target), ascending. */
  const mutationIndex = new Map<string, number[]>();

  const eraseEdits = (conversationId: string, target: number) => {
    const log = logs.get(conversationId)!;
    for (const seq of mutationIndex.get(key(conversationId, String(target))) ?? []) {
      const e = log[seq - 1]!.event;
      if (e.type === 'message.edited') e.text = '';
    }
  };
  const isBlocked = (a: string, b: string) => Boolean(contacts.get(key(a, b))?.blocked || contacts.get(key(b, a))?.blocked);
  const membersOf = (conversationId: string) => {
    let map = members.get(conversationId);
    if (!map) members.set(conversationId, (map = new Map()));
    return map;
  };
  const addMembership = (userId: string, conversationId: string) => {
    let set = memberships.get(userId);
    if (!set) memberships.set(userId, (set = new Set()));
    set.add(conversationId);
  };
  const unreadOf = (conversation: ConversationRecord, member: MemberRecord, log: StoredEvent[]) => {
    const upto = member.leftSeq === null ? conversation.messageCount : (log[member.leftSeq - 1]?.ord ?? 0);
    return Math.max(0, upto - member.readOrd);
  };
  const row = (conversationId: string, userId: string): InboxRow => {
    const conversation = conversations.get(conversationId)!;
    const member = members.get(conversationId)!.get(userId)!;
    return { conversation: clone(conversation), member: clone(member), unread: unreadOf(conversation, member, logs.get(conversationId)!) };
  };
  const readEvent = (stored: StoredEvent): ConversationEvent => {
    const event = clone(stored.event);
    if (event.type === 'message') event.message = visibleMessage(event.message);
    return event;
  };
  const messageAt = (conversationId: string, seq: number): Message | null => {
    const stored = logs.get(conversationId)?.[seq - 1];
    return stored && stored.event.type === 'message' ? stored.event.message : null;
  };

  const store: ChatStore = {
    feed: createMemoryFeedStore(() => conversations),
    push: createMemoryPushDeviceStore(),
    capabilities: { fullTextSearch: false, transactions: true, uniqueConstraints: true, persistent: false },

    async upsertUser(input) {
      const existing = users.get(input.id);
      const user: User = existing
        ? {
            ...existing,
            ...(input.displayName !== undefined ? { displayName: input.displayName } : {}),
            ...(input.avatarUrl !== undefined ? { avatarUrl: input.avatarUrl } : {}),
            ...(input.statusText !== undefined ? { statusText: input.statusText } : {}),
            ...(input.metadata !== undefined ? { metadata: clone(input.metadata) } : {}),
            updatedAt: input.now,
          }
        : {
            id: input.id,
            displayName: input.displayName ?? input.id,
            avatarUrl: input.avatarUrl ?? null,
            statusText: input.statusText ?? null,
            metadata: clone(input.metadata ?? {}),
            lastSeenAt: null,
            createdAt: input.now,
            updatedAt: input.now,
          };
      users.set(user.id, user);
      return clone(user);
    },
    async getUsers(ids) {
      return ids.flatMap((id) => (users.has(id) ? [clone(users.get(id)!)] : []));
    },
    async searchUsers({ query, limit }) {
      const q = query.toLowerCase();
      return [...users.values()]
        .filter((u) => u.displayName.toLowerCase().includes(q))
        .sort((a, b) => (a.displayName < b.displayName ? -1 : a.displayName > b.displayName ? 1 : a.id < b.id ? -1 : 1))
        .slice(0, limit)
        .map(clone);
    },
    async setLastSeen({ userId, at }) {
      const user = users.get(userId);
      if (user && (user.lastSeenAt === null || user.lastSeenAt < at)) user.lastSeenAt = at;
    },

    async getContact(ownerId, userId) {
      const c = contacts.get(key(ownerId, userId));
      return c ? clone(c) : null;
    },
    async putContact({ ownerId, userId, alias, blocked, now }) {
      const existing = contacts.get(key(ownerId, userId));
      const contact: Contact = {
        ownerId,
        userId,
        alias: alias !== undefined ? alias : (existing?.alias ?? null),
        blocked: blocked !== undefined ? blocked : (existing?.blocked ?? false),
        createdAt: existing?.createdAt ?? now,
        updatedAt: now,
      };
      contacts.set(key(ownerId, userId), contact);
      return clone(contact);
    },
    async removeContact({ ownerId, userId }) {
      return contacts.delete(key(ownerId, userId));
    },
    async listContacts(ownerId) {
      return [...contacts.values()]
        .filter((c) => c.ownerId === ownerId)
        .sort((a, b) => (a.userId < b.userId ? -1 : 1))
        .map(clone);
    },
    async isBlockedEitherWay(a, b) {
      return isBlocked(a, b);
    },
    async sharesConversation(a, b) {
      const mine = memberships.get(a);
      if (!mine) return false;
      for (const conversationId of mine) {
        const conversation = conversations.get(conversationId)!;
        if (conversation.kind === 'channel') continue;
        const map = members.get(conversationId)!;
        if (map.get(a)?.leftSeq === null && map.get(b)?.leftSeq === null) return true;
      }
      return false;
    },

    async createConversation(input) {
      if (input.kind === 'direct') {
        const existing = directs.get(key(...input.directPair));
        if (existing) return { conversation: clone(conversations.get(existing)!), created: false };
      }
      const conversation = newConversationRecord(input);
      conversations.set(conversation.id, conversation);
      if (input.kind === 'direct') directs.set(key(...input.directPair), conversation.id);
      const map = membersOf(conversation.id);
      for (const m of input.members) {
        map.set(m.userId, {
          conversationId: conversation.id,
          userId: m.userId,
          role: m.role,
          joinSeq: 1,
          leftSeq: null,
          deliveredSeq: 1,
          readSeq: 1,
          readOrd: 0,
          mutedUntil: null,
          joinedAt: input.now,
          pastWindows: [],
          updatedAt: input.now,
        });
        addMembership(m.userId, conversation.id);
      }
      logs.set(conversation.id, [
        {
          ord: 0,
          event: {
            type: 'conversation.created',
            conversationId: conversation.id,
            seq: 1,
            actorId: input.createdBy,
            at: input.now,
            kind: input.kind,
            title: input.title,
            members: input.members.map((m) => ({ userId: m.userId, role: m.role })),
          },
        },
      ]);
      return { conversation: clone(conversation), created: true };
    },
    async getConversation(id) {
      const c = conversations.get(id);
      return c ? clone(c) : null;
    },
    async findDirect(pair) {
      const id = directs.get(key(...pair));
      return id ? clone(conversations.get(id)!) : null;
    },
    async listChannels({ query, afterId, limit }) {
      const q = query?.toLowerCase();
      return [...conversations.values()]
        .filter((c) => c.kind === 'channel' && (afterId === undefined || c.id > afterId))
        .filter((c) => q === undefined || (c.title ?? '').toLowerCase().includes(q))
        .sort((a, b) => (a.id < b.id ? -1 : 1))
        .slice(0, limit)
        .map(clone);
    },

    async getMember(conversationId, userId) {
      const m = members.get(conversationId)?.get(userId);
      return m ? clone(m) : null;
    },
    async listMembers({ conversationId, afterUserId, limit }) {
      return [...(members.get(conversationId)?.values() ?? [])]
        .filter((m) => m.leftSeq === null && (afterUserId === undefined || m.userId > afterUserId))
        .sort((a, b) => (a.userId < b.userId ? -1 : 1))
        .slice(0, limit)
        .map(clone);
    },
    async memberIds(conversationId) {
      return [...(members.get(conversationId)?.values() ?? [])].filter((m) => m.leftSeq === null).map((m) => m.userId);
    },
    async putReport(report) {
      const list = reportsOf(report.conversationId);
      const existing = list.find((r) => reportKey(r) === reportKey(report));
      if (existing) return { report: clone(existing), created: false };
      list.push(clone(report));
      return { report: clone(report), created: true };
    },
    async getReport({ conversationId, id }) {
      const r = reports.get(conversationId)?.find((x) => x.id === id);
      return r ? clone(r) : null;
    },
    async listReports(query) {
      return reportsPage(reports.get(query.conversationId) ?? [], query).map(clone);
    },
    async closeReport({ conversationId, id, status, resolvedBy, resolvedAt, action }) {
      const r = reports.get(conversationId)?.find((x) => x.id === id);
      if (!r || r.status !== 'open') return null;
      Object.assign(r, { status, resolvedBy, resolvedAt, action });
      return clone(r);
    },
    async reportCounts({ conversationId, excludeTarget }) {
      return countReports(reports.get(conversationId) ?? [], excludeTarget);
    },
    async restrictions(query) {
      return restrictionsPage(restrictions.get(query.conversationId) ?? [], query).map(clone);
    },
    async setMuted({ conversationId, userId, mutedUntil, now }) {
      const m = members.get(conversationId)?.get(userId);
      if (!m) return null;
      m.mutedUntil = mutedUntil;
      m.updatedAt = now;
      return clone(m);
    },

    async append(input: AppendInput): Promise<AppendResult> {
      const { draft } = input;
      const conversation = conversations.get(draft.conversationId);
      if (!conversation) throw appendRefused('no-conversation');
      if (draft.type === 'conversation.created') throw new ChatError('INVALID', 'conversation.created cannot be appended');
      const map = membersOf(conversation.id);
      const log = logs.get(conversation.id)!;
      if (draft.type === 'message' && draft.message.clientId !== null) {
        const existing = clientIds.get(key(conversation.id, draft.message.senderId, draft.message.clientId));
        if (existing !== undefined) {
          return { event: readEvent(log[existing - 1]!), conversation: clone(conversation), duplicate: true };
        }
      }
      // check every precondition before mutating anything (this method runs without awaiting: atomic)
      const needs = appendNeeds(input);
      const state: AppendState = {
        conversation,
        members: new Map(needs.members.flatMap((id) => (map.has(id) ? [[id, map.get(id)!] as const] : []))),
        ...(needs.message !== undefined ? { message: messageAt(conversation.id, needs.message) } : {}),
        ...(needs.owners ? { owners: [...map.values()].filter((m) => m.leftSeq === null && m.role === 'owner').length } : {}),
        ...(needs.blocks ? { blocked: isBlocked(conversation.directPair[0] ?? '', conversation.directPair[1] ?? '') } : {}),
        ...(needs.restrictions ? { restrictions: (restrictions.get(conversation.id) ?? []).filter((r) => needs.members.includes(r.userId)) } : {}),
      };
      checkAppend(input, state);
      const seq = conversation.lastSeq + 1;
      const subject = 'userId' in draft && typeof draft.userId === 'string' ? map.get(draft.userId) : undefined;
      const target: Message | null = 'target' in draft ? messageAt(conversation.id, draft.target) : null;

      const event = { ...clone(draft), seq } as ConversationEvent;
      if (event.type === 'message') event.message.seq = seq;
      let ord = conversation.messageCount;
      switch (event.type) {
        case 'message': {
          ord += 1;
          conversation.messageCount = ord;
          conversation.lastActivityAt = event.at;
          conversation.lastMessage = previewOf(event.message);
          if (event.message.clientId !== null) clientIds.set(key(conversation.id, event.message.senderId, event.message.clientId), seq);
          const sender = map.get(event.message.senderId);
          if (sender) {
            sender.readSeq = Math.max(sender.readSeq, seq);
            sender.deliveredSeq = Math.max(sender.deliveredSeq, seq);
            sender.readOrd = ord;
            sender.updatedAt = event.at;
            sender.lastPostAt = event.at;
          }
          break;
        }
        case 'message.edited':
        case 'message.deleted':
        case 'message.reaction':
        case 'message.pinned': {
          const stored = log[event.target - 1]!.event as Extract<ConversationEvent, { type: 'message' }>;
          stored.message = applyMutation(target!, event);
          if (conversation.lastMessage?.seq === event.target) conversation.lastMessage = previewOf(stored.message);
          if (event.type === 'message.deleted') {
            eraseEdits(conversation.id, event.target);
            originals.delete(key(conversation.id, String(event.target)));
          }
          // in the same synchronous step as the commit, so a delete never misses an earlier edit
          let mutations = mutationIndex.get(key(conversation.id, String(event.target)));
          if (!mutations) mutationIndex.set(key(conversation.id, String(event.target)), (mutations = []));
          mutations.push(seq);
          break;
        }
        case 'member.joined': {
          const previous = map.get(event.userId);
          map.set(event.userId, {
            conversationId: conversation.id,
            userId: event.userId,
            role: event.role,
            joinSeq: seq,
            leftSeq: null,
            deliveredSeq: seq,
            readSeq: seq,
            readOrd: ord,
            mutedUntil: previous?.mutedUntil ?? null,
            joinedAt: event.at,
            pastWindows: previous ? [...previous.pastWindows, { joinSeq: previous.joinSeq, leftSeq: previous.leftSeq! }] : [],
            updatedAt: event.at,
          });
          addMembership(event.userId, conversation.id);
          conversation.memberCount += 1;
          break;
        }
        case 'member.left':
          subject!.leftSeq = seq;
          subject!.updatedAt = event.at;
          conversation.memberCount -= 1;
          break;
        case 'member.role':
          subject!.role = event.role;
          subject!.updatedAt = event.at;
          break;
        case 'conversation.updated': {
          const { permissions, ...rest } = conversationChanges(event.changes);
          Object.assign(conversation, rest);
          if (permissions === null) delete conversation.permissions;
          else if (permissions !== undefined) conversation.permissions = permissions;
          break;
        }
        case 'call':
          calls.set(event.call.id, clone(event.call));
          break;
        case 'moderation': {
          const effect = moderationEffect(event, conversation.moderation);
          const list = (restrictions.get(conversation.id) ?? []).filter(
            (r) => !(effect.put && r.userId === effect.put.userId && r.kind === effect.put.kind) && !(effect.lift && r.userId === effect.lift.userId && r.kind === effect.lift.kind),
          );
          if (effect.put) list.push(clone(effect.put));
          restrictions.set(conversation.id, list);
          if (effect.state) conversation.moderation = effect.state;
          break;
        }
      }
      conversation.lastSeq = seq;
      conversation.updatedAt = event.at;
      log.push({ event, ord });
      return { event: readEvent(log[seq - 1]!), conversation: clone(conversation), duplicate: false };
    },

    async events({ conversationId, after, before, minSeq, maxSeq, limit, timelineOnly }) {
      const log = logs.get(conversationId) ?? [];
      const lo = Math.max(after !== undefined ? after + 1 : 1, minSeq ?? 1);
      const hi = Math.min(before !== undefined ? before - 1 : log.length, maxSeq ?? log.length, log.length);
      const picked: StoredEvent[] = [];
      const keep = (s: StoredEvent) => !timelineOnly || !('target' in s.event);
      if (after !== undefined) {
        for (let s = lo; s <= hi && picked.length < limit; s++) if (keep(log[s - 1]!)) picked.push(log[s - 1]!);
      } else {
        for (let s = hi; s >= lo && picked.length < limit; s--) if (keep(log[s - 1]!)) picked.push(log[s - 1]!);
        picked.reverse();
      }
      return picked.map(readEvent);
    },
    async getMessage(conversationId, seq) {
      const m = messageAt(conversationId, seq);
      return m ? visibleMessage(clone(m)) : null;
    },

    async advanceWatermarks({ conversationId, userId, deliveredSeq, readSeq, now }) {
      const m = members.get(conversationId)?.get(userId);
      if (!m) return null;
      const log = logs.get(conversationId)!;
      let changed = false;
      if (readSeq !== undefined && readSeq > m.readSeq) {
        m.readSeq = readSeq;
        m.readOrd = Math.max(m.readOrd, log[readSeq - 1]?.ord ?? m.readOrd);
        changed = true;
      }
      const delivered = Math.max(deliveredSeq ?? 0, m.readSeq);
      if (delivered > m.deliveredSeq) {
        m.deliveredSeq = delivered;
        changed = true;
      }
      if (changed) m.updatedAt = now;
      return clone(m);
    },
    async receipts(conversationId) {
      return [...(members.get(conversationId)?.values() ?? [])].filter((m) => m.leftSeq === null).map(clone);
    },

    async inbox({ userId, after, limit }) {
      const rows = [...(memberships.get(userId) ?? [])]
        .filter((id) => members.get(id)!.get(userId)!.leftSeq === null)
        .map((id) => conversations.get(id)!)
        .filter(
          (c) =>
            after === undefined ||
            c.lastActivityAt < after.lastActivityAt ||
            (c.lastActivityAt === after.lastActivityAt && c.id < after.conversationId),
        )
        .sort((a, b) => b.lastActivityAt - a.lastActivityAt || (a.id < b.id ? 1 : -1))
        .slice(0, limit);
      return rows.map((c) => row(c.id, userId));
    },
    async unreadTotal({ userId, now }) {
      let total = 0;
      let count = 0;
      for (const id of memberships.get(userId) ?? []) {
        const m = members.get(id)!.get(userId)!;
        if (m.leftSeq !== null || (m.mutedUntil !== null && m.mutedUntil > now)) continue;
        const unread = unreadOf(conversations.get(id)!, m, logs.get(id)!);
        total += unread;
        if (unread > 0) count += 1;
      }
      return { total, conversations: count };
    },
    async changedMemberships({ userId, since, afterConversationId, limit }) {
      return [...(memberships.get(userId) ?? [])]
        .filter((id) => afterConversationId === undefined || id > afterConversationId)
        .filter((id) => conversations.get(id)!.updatedAt >= since || members.get(id)!.get(userId)!.updatedAt >= since)
        .sort()
        .slice(0, limit ?? Number.MAX_SAFE_INTEGER)
        .map((id) => row(id, userId));
    },

    async hide({ userId, conversationId, seq }) {
      let set = hidden.get(key(userId, conversationId));
      if (!set) hidden.set(key(userId, conversationId), (set = new Set()));
      set.add(seq);
    },
    async hiddenSeqs({ userId, conversationId }) {
      return [...(hidden.get(key(userId, conversationId)) ?? [])].sort((a, b) => a - b);
    },

    async search({ userId, query, conversationId, before, limit }: SearchQuery) {
      const q = query.toLowerCase();
      const hits: Message[] = [];
      for (const id of memberships.get(userId) ?? []) {
        if (conversationId !== undefined && id !== conversationId) continue;
        const m = members.get(id)!.get(userId)!;
        const hiddenSet = hidden.get(key(userId, id));
        const candidates: Message[] = [];
        for (const stored of logs.get(id)!) {
          if (stored.event.type !== 'message') continue;
          const msg = stored.event.message;
          if (msg.deletedAt !== null || !seesSeq(m, msg.seq) || hiddenSet?.has(msg.seq)) continue;
          candidates.push(msg);
        }
        // a former member searches the texts it saw (as of leftSeq), not those edited in later
        const texts = m.leftSeq === null ? candidates : await messagesAsSeen(store, m, id, candidates.map(clone));
        candidates.forEach((msg, i) => {
          const text = texts[i]!.text;
          if (text !== null && text.toLowerCase().includes(q)) hits.push(msg);
        });
      }
      const cmp = (a: { createdAt: number; conversationId: string; seq: number }, b: typeof a) =>
        b.createdAt - a.createdAt || (a.conversationId < b.conversationId ? 1 : a.conversationId > b.conversationId ? -1 : 0) || b.seq - a.seq;
      return hits
        .filter((h) => before === undefined || cmp(before, h) < 0)
        .sort(cmp)
        .slice(0, limit)
        .map((h) => clone(h));
    },

    async mutationsOf({ conversationId, targets, after }) {
      const log = logs.get(conversationId) ?? [];
      const seqs = targets.flatMap((t) => mutationIndex.get(key(conversationId, String(t))) ?? []).filter((s) => after === undefined || s > after);
      return [...new Set(seqs)].sort((a, b) => a - b).map((s) => clone(log[s - 1]!.event));
    },
    async originalTexts({ conversationId, seqs }) {
      return seqs.flatMap((seq) => {
        const k = key(conversationId, String(seq));
        const msg = messageAt(conversationId, seq);
        return originals.has(k) && msg && msg.deletedAt === null ? [{ seq, text: originals.get(k)! }] : [];
      });
    },

    async getCall(id) {
      const c = calls.get(id);
      return c ? clone(c) : null;
    },
    async activeCall(conversationId) {
      for (const c of calls.values()) {
        if (c.conversationId === conversationId && (c.status === 'ringing' || c.status === 'active')) return clone(c);
      }
      return null;
    },
    async listCalls({ userId, before, limit }) {
      return [...calls.values()]
        .filter((c) => c.participants.some((p) => p.userId === userId))
        .filter((c) => before === undefined || c.startedAt < before.startedAt || (c.startedAt === before.startedAt && c.id < before.id))
        .sort((a, b) => b.startedAt - a.startedAt || (a.id < b.id ? 1 : -1))
        .slice(0, limit)
        .map(clone);
    },

    async purgeDeleted({ deletedBefore, conversationId, seqs }) {
      let erased = 0;
      const only = seqs ? new Set(seqs) : null;
      for (const log of conversationId === undefined ? logs.values() : [logs.get(conversationId) ?? []]) {
        for (const stored of log) {
          if (stored.event.type !== 'message') continue;
          const msg = stored.event.message;
          if (only && !only.has(msg.seq)) continue;
          if (msg.deletedAt === null || msg.deletedAt >= deletedBefore) continue;
          if (msg.text === null && msg.attachments.length === 0 && Object.keys(msg.metadata).length === 0) continue;
          stored.event.message = { ...msg, text: null, attachments: [], metadata: {}, reactions: {}, mentions: [] };
          eraseEdits(msg.conversationId, msg.seq);
          originals.delete(key(msg.conversationId, String(msg.seq)));
          // a former member's snapshot of the conversation may quote it as its last message
          for (const m of members.get(msg.conversationId)?.values() ?? []) {
            if (m.leftView?.lastMessage?.seq === msg.seq) m.leftView.lastMessage = previewOf(stored.event.message);
          }
          erased += 1;
        }
      }
      return erased;
    },
    async expireMessages({ now }) {
      let expired = 0;
      for (const conversation of conversations.values()) {
        if (conversation.messageTtlSeconds === null) continue;
        const cutoff = now - conversation.messageTtlSeconds * 1000;
        const log = logs.get(conversation.id)!;
        for (const stored of log) {
          if (stored.event.type !== 'message') continue;
          const msg = stored.event.message;
          if (msg.deletedAt !== null || msg.createdAt >= cutoff) continue;
          stored.event.message = { ...msg, deletedAt: now, text: null, attachments: [], metadata: {}, reactions: {}, mentions: [] };
          eraseEdits(conversation.id, msg.seq);
          originals.delete(key(msg.conversationId, String(msg.seq)));
          if (conversation.lastMessage?.seq === msg.seq) conversation.lastMessage = previewOf(stored.event.message);
          expired += 1;
        }
      }
      return expired;
    },
  };

  // The read views of former members need three things the log itself does not keep: the text a
  // message was sent with once it is edited, an index of each message's mutations, and the
  // conversation as of a leave. They are kept around `append` so its body stays the write path
  // alone. `append` runs synchronously to completion, so the capture before it cannot interleave.
  const appendEvent = store.append.bind(store);
  store.append = async (input) => {
    const { draft } = input;
    if (draft.type === 'message.edited') {
      const target = messageAt(draft.conversationId, draft.target);
      const k = key(draft.conversationId, String(draft.target));
      if (target && target.deletedAt === null && target.editedAt === null && !originals.has(k)) originals.set(k, target.text);
    }
    const result = await appendEvent(input);
    if (result.duplicate) return result;
    const event = result.event;
    if (event.type === 'member.left') {
      const m = members.get(event.conversationId)?.get(event.userId);
      if (m && m.leftSeq === event.seq) m.leftView = leftViewOf(result.conversation, event.seq);
    }
    if (event.type === 'member.joined') {
      const m = members.get(event.conversationId)?.get(event.userId);
      if (m && m.leftSeq === null) delete m.leftView;
    }
    return result;
  };
  return store;
}
