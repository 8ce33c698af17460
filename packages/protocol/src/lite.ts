/**
 * The zod-free part of the protocol, for browser bundles: constants, operation names and the pure
 * functions that fold events into messages. Importing `@parley/protocol/lite` costs a few hundred
 * bytes; importing `@parley/protocol` brings the zod schemas along.
 */
import type { ConversationEvent, EventType } from './events.js';
import type { Message, MessagePreview } from './entities.js';

export { PROTOCOL_VERSION, SUBPROTOCOL, ERROR_CODES, CLOSE_CODES, HARD_LIMITS, type ErrorCode } from './constants.js';

/** Every engine operation, in a fixed order (the schemas in `OpParams` have the same keys). */
export const ENGINE_OP_NAMES = [
  'me', 'updateProfile', 'getUsers', 'searchUsers', 'presence',
  'listContacts', 'setContact', 'removeContact', 'block', 'unblock',
  'openDirect', 'createGroup', 'createChannel', 'getConversation', 'listMembers', 'addMembers', 'removeMember',
  'setRole', 'leave', 'join', 'updateConversation', 'mute', 'listChannels',
  'send', 'edit', 'delete', 'react', 'pin', 'history', 'markDelivered', 'markDeliveredMany', 'markRead', 'receipts', 'inbox',
  'unreadTotal', 'sync', 'search', 'hidden',
  'startCall', 'answerCall', 'declineCall', 'endCall', 'callHistory',
  'registerPushDevice', 'removePushDevice', 'listPushDevices',
  'ban', 'unban', 'muteMember', 'unmuteMember', 'freeze', 'setSlowMode', 'listRestrictions',
  'report', 'listReports', 'resolveReport', 'reportCounts',
] as const;

/** Connection-level operations that exist only on the wire. */
export const WIRE_OP_NAMES = ['auth', 'typing', 'signal', 'ping'] as const;

/** Event types that change an earlier message rather than adding a line to the timeline. */
export const MESSAGE_MUTATION_TYPES = ['message.edited', 'message.deleted', 'message.reaction', 'message.pinned'] as const;

/**
 * True for events a history view shows as a line (messages, membership and conversation changes, calls).
 * Mutations of earlier messages are folded into the message they target and are only needed by sync.
 */
export function isTimelineEvent(event: { type: EventType }): boolean {
  return !(MESSAGE_MUTATION_TYPES as readonly string[]).includes(event.type);
}

/** Event types that count towards unread counts: new messages only. */
export function countsAsMessage(event: { type: EventType }): boolean {
  return event.type === 'message';
}

/** How many characters of text an inbox preview keeps. */
export const PREVIEW_LENGTH = 140;

/**
 * The first {@link PREVIEW_LENGTH} UTF-16 units of a text, never ending in half a surrogate pair
 * (a lone surrogate is malformed unicode: Postgres refuses it in jsonb, and clients get garbage).
 */
export function previewText(text: string): string {
  if (text.length <= PREVIEW_LENGTH) return text;
  const last = text.charCodeAt(PREVIEW_LENGTH - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? PREVIEW_LENGTH - 1 : PREVIEW_LENGTH);
}

/** The inbox preview of a message in its current state. */
export function previewOf(message: Message): MessagePreview {
  const deleted = message.deletedAt !== null;
  return {
    seq: message.seq,
    senderId: message.senderId,
    kind: message.kind,
    text: deleted || message.text === null ? null : previewText(message.text),
    createdAt: message.createdAt,
    deleted,
  };
}

/**
 * The message as readers see it: a message deleted for everyone keeps its place but shows no
 * content. Returns the same object when it is not deleted.
 */
export function visibleMessage(message: Message): Message {
  if (message.deletedAt === null) return message;
  return { ...message, text: null, attachments: [], reactions: {}, metadata: {}, mentions: [], pinned: false };
}

/**
 * Apply a message mutation event (edit, delete, reaction, pin) to the message it targets and
 * return the new state; the same object when nothing changes, so applying an event twice is
 * harmless. A deleted message keeps its content here (stores erase it on retention); pass the
 * result through {@link visibleMessage} for what readers see.
 */
export function applyMutation(message: Message, event: ConversationEvent): Message {
  switch (event.type) {
    case 'message.edited':
      return message.text === event.text && message.editedAt === event.at ? message : { ...message, text: event.text, editedAt: event.at };
    case 'message.deleted':
      return message.deletedAt === null ? { ...message, deletedAt: event.at } : message;
    case 'message.pinned':
      return message.pinned === event.pinned ? message : { ...message, pinned: event.pinned };
    case 'message.reaction': {
      const users = message.reactions[event.emoji] ?? [];
      if (users.includes(event.actorId) === event.added) return message;
      const reactions = { ...message.reactions };
      const next = event.added ? [...users, event.actorId] : users.filter((u) => u !== event.actorId);
      if (next.length === 0) delete reactions[event.emoji];
      else reactions[event.emoji] = next;
      return { ...message, reactions };
    }
    default:
      return message;
  }
}
