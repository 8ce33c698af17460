import type { AnyOpName, AnyParamsOf, AnyResultOf } from '@parley/protocol';

/**
 * Every operation name, kept here rather than read from `@parley/protocol`'s `OP_NAMES` so the
 * browser bundle does not pull in the zod schemas that list is derived from. The type checks below
 * fail the build when the protocol gains or loses an op.
 */
export const OP_NAMES = [
  'me', 'updateProfile', 'getUsers', 'searchUsers', 'presence',
  'listContacts', 'setContact', 'removeContact', 'block', 'unblock',
  'openDirect', 'createGroup', 'createChannel', 'getConversation', 'listMembers', 'addMembers', 'removeMember',
  'setRole', 'leave', 'join', 'updateConversation', 'mute', 'listChannels',
  'send', 'edit', 'delete', 'react', 'pin', 'history', 'markDelivered', 'markRead', 'receipts', 'inbox',
  'unreadTotal', 'sync', 'search', 'hidden',
  'startCall', 'answerCall', 'declineCall', 'endCall', 'callHistory',
  'typing', 'signal', 'ping',
] as const satisfies readonly Exclude<AnyOpName, 'auth'>[];

/** An operation a client may call (every op but the connection-level `auth`). */
export type ClientOpName = Exclude<AnyOpName, 'auth'>;

type Missing = Exclude<ClientOpName, (typeof OP_NAMES)[number]>;
const exhaustive: [Missing] extends [never] ? true : Missing = true;
void exhaustive;

/** One typed method per operation: `api.send({ conversationId, clientId, text })`. */
export type Api = {
  [K in ClientOpName]: {} extends AnyParamsOf<K>
    ? (params?: AnyParamsOf<K>, options?: RequestOptions) => Promise<AnyResultOf<K>>
    : (params: AnyParamsOf<K>, options?: RequestOptions) => Promise<AnyResultOf<K>>;
};

/** Per-request options. */
export interface RequestOptions {
  /** Override the client's `requestTimeoutMs` for this request. */
  timeoutMs?: number;
}
