import type { Contact, InboxEntry, Message, Receipt } from '@parley/protocol';
import type { CachedConversation, CachedInbox } from '../cache-port.js';

/**
 * Version of the record layout. Records of any other version are discarded, never read: bump it
 * whenever the shape of a record or of what it holds (inbox entries, messages) changes.
 */
export const CACHE_SCHEMA_VERSION = 1;

/** Keys of the records of one user. */
export const KEYS = {
  inbox: 'inbox',
  index: 'index',
  conversation: (id: string) => `conv:${id}`,
  isConversation: (key: string) => key.startsWith('conv:'),
} as const;

/** Size and last opening of each saved window: what the budget and the eviction need without reading the windows. */
export type WindowIndex = Record<string, { bytes: number; openedAt: number }>;

interface Envelope {
  v: number;
  userId: string;
  kind: 'inbox' | 'index' | 'conversation';
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isStr = (v: unknown): v is string => typeof v === 'string';

const isEntry = (e: unknown): e is InboxEntry =>
  isObj(e) && isObj(e.conversation) && isStr(e.conversation.id) && isNum(e.conversation.lastSeq) && isNum(e.conversation.lastActivityAt) &&
  isObj(e.member) && isNum(e.member.readSeq) && isNum(e.member.deliveredSeq) && isNum(e.unread);
const isContact = (c: unknown): c is Contact => isObj(c) && isStr(c.userId);
const isReceipt = (r: unknown): r is Receipt => isObj(r) && isStr(r.userId) && isNum(r.readSeq) && isNum(r.deliveredSeq);

/** Messages of one conversation, by strictly ascending seq, none after `appliedSeq`. */
function areMessages(list: unknown, conversationId: string, appliedSeq: number): list is Message[] {
  if (!Array.isArray(list)) return false;
  let last = 0;
  for (const m of list) {
    if (!isObj(m) || !isNum(m.seq) || m.seq <= last || m.seq > appliedSeq || m.conversationId !== conversationId || !isStr(m.id) || !isStr(m.senderId)) return false;
    last = m.seq;
  }
  return true;
}

export function encode(userId: string, kind: Envelope['kind'], body: object): string {
  return JSON.stringify({ v: CACHE_SCHEMA_VERSION, userId, kind, ...body });
}

/** Why a record could not be used. `version`: written by another schema version. */
export type Rejected = 'absent' | 'corrupt' | 'version';

function open(raw: string | undefined, userId: string, kind: Envelope['kind']): Record<string, unknown> | Rejected {
  if (raw === undefined) return 'absent';
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return 'corrupt';
  }
  if (!isObj(value)) return 'corrupt';
  if (value.v !== CACHE_SCHEMA_VERSION) return 'version';
  if (value.userId !== userId || value.kind !== kind) return 'corrupt';
  return value;
}

export function decodeInbox(raw: string | undefined, userId: string): CachedInbox | Rejected {
  const r = open(raw, userId, 'inbox');
  if (typeof r === 'string') return r;
  const { cursor, entries, contacts } = r;
  if ((cursor !== undefined && !isStr(cursor)) || !Array.isArray(entries) || !entries.every(isEntry) || !Array.isArray(contacts) || !contacts.every(isContact)) return 'corrupt';
  return { cursor, entries, contacts };
}

export function decodeIndex(raw: string | undefined, userId: string): WindowIndex | Rejected {
  const r = open(raw, userId, 'index');
  if (typeof r === 'string') return r;
  const w = r.windows;
  if (!isObj(w)) return 'corrupt';
  for (const e of Object.values(w)) if (!isObj(e) || !isNum(e.bytes) || !isNum(e.openedAt)) return 'corrupt';
  return w as WindowIndex;
}

export function decodeConversation(raw: string | undefined, userId: string, conversationId: string): CachedConversation | Rejected {
  const r = open(raw, userId, 'conversation');
  if (typeof r === 'string') return r;
  const { appliedSeq, hasOlder, messages, receipts, openedAt } = r;
  if (r.conversationId !== conversationId || !isNum(appliedSeq) || typeof hasOlder !== 'boolean' || !isNum(openedAt)) return 'corrupt';
  if (!areMessages(messages, conversationId, appliedSeq) || !Array.isArray(receipts) || !receipts.every(isReceipt)) return 'corrupt';
  return { conversationId, appliedSeq, hasOlder, messages, receipts, openedAt };
}
