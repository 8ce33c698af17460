import { z } from 'zod';
import type { ErrorCode } from './constants.js';
import type { Contact, Member, Presence, Receipt } from './entities.js';
import type { ConversationEvent } from './events.js';
import { OpParams, type OpName, type ParamsOf, type ResultOf } from './ops.js';
import { Id, safeString } from './primitives.js';

/** Request id chosen by the client; echoed in the reply. */
export const RequestId = z.union([z.string().min(1).max(64), z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER)]);
export type RequestId = z.infer<typeof RequestId>;

/** Operations that exist only on the wire (connection-level, not engine operations). */
export const WireOpParams = {
  /** First frame when the token is not given in the subprotocol list: `{ id, op: 'auth', params: { token } }`. */
  auth: z.object({ token: z.string().min(1).max(8192) }).strict(),
  /** Tell the members of a conversation that the user is (or stopped) typing. Throttled and expiring. */
  typing: z.object({ conversationId: Id, typing: z.boolean() }).strict(),
  /** Relay a call-signalling payload (SDP offer/answer, ICE candidate) to another participant of an active call. */
  signal: z
    .object({
      callId: Id,
      to: Id,
      kind: z.enum(['offer', 'answer', 'candidate', 'other']),
      payload: z.unknown().refine((v) => JSON.stringify(v ?? null).length <= 16_384, { message: 'payload too large' }),
    })
    .strict(),
  /** Application-level ping; the reply's result is `{ now }`. */
  ping: z.object({}).strict(),
} as const;

/** Name of a wire-only operation. */
export type WireOpName = keyof typeof WireOpParams;

/** Any operation a client can send. */
export type AnyOpName = OpName | WireOpName;

/** Results of wire-only operations. */
export interface WireOpResults {
  auth: { userId: string; protocol: number; serverTime: number };
  typing: { ok: true };
  signal: { ok: true };
  ping: { now: number };
}

/** Parameters of any operation. */
export type AnyParamsOf<K extends AnyOpName> = K extends OpName
  ? ParamsOf<K>
  : K extends WireOpName
    ? z.input<(typeof WireOpParams)[K]>
    : never;

/** Result of any operation. */
export type AnyResultOf<K extends AnyOpName> = K extends OpName ? ResultOf<K> : K extends WireOpName ? WireOpResults[K] : never;

/** The envelope of a request: `{ id, op, params }`. Params are parsed separately with the op's schema. */
export const RequestEnvelope = z
  .object({ id: RequestId, op: safeString(64).min(1), params: z.unknown().optional() })
  .strict();
export type RequestEnvelope = z.infer<typeof RequestEnvelope>;

/** A typed request frame. */
export interface RequestFrame<K extends AnyOpName = AnyOpName> {
  id: RequestId;
  op: K;
  params?: AnyParamsOf<K>;
}

/** The schema of the params of any operation name, or undefined for an unknown op. */
export function paramsSchemaOf(op: string): z.ZodType | undefined {
  if (Object.hasOwn(OpParams, op)) return OpParams[op as OpName];
  if (Object.hasOwn(WireOpParams, op)) return WireOpParams[op as WireOpName];
  return undefined;
}

/** Error payload of a failed reply. */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
  /** For `INVALID`: where the input was wrong, as dotted paths. */
  issues?: Array<{ path: string; message: string }>;
  /** For `RATE_LIMITED`: how long to wait. */
  retryAfterMs?: number;
}

/** Successful reply. */
export interface OkReply<K extends AnyOpName = AnyOpName> {
  id: RequestId;
  ok: true;
  result: AnyResultOf<K>;
}

/** Failed reply. `id` is null when the request could not be parsed far enough to know it. */
export interface ErrorReply {
  id: RequestId | null;
  ok: false;
  error: ErrorBody;
}

/** A reply frame. */
export type ReplyFrame<K extends AnyOpName = AnyOpName> = OkReply<K> | ErrorReply;

/** Server pushes, discriminated by `ev`. */
export type PushFrame =
  /** A committed conversation event the user may see, in seq order per conversation. */
  | { ev: 'event'; event: ConversationEvent }
  /** A member's watermarks moved. */
  | { ev: 'receipt'; receipt: Receipt }
  /** Someone is typing (or stopped). Expires by itself after `expiresInMs`. */
  | { ev: 'typing'; conversationId: string; userId: string; typing: boolean; expiresInMs: number }
  /** A user's presence changed. */
  | { ev: 'presence'; presence: Presence }
  /** A call-signalling payload from another participant. */
  | { ev: 'signal'; callId: string; from: string; kind: string; payload: unknown }
  /** The user's contact list changed on another device. */
  | { ev: 'contact'; contact: Contact; removed: boolean }
  /** The user's own membership settings changed (mute) on another device. */
  | { ev: 'member'; member: Member }
  /** The user deleted a message for themselves on another device. */
  | { ev: 'hidden'; conversationId: string; seq: number }
  /** The server may have missed events for this connection: run the resume procedure now. */
  | { ev: 'resume'; reason: string }
  /**
   * Sent once per connection when it is authenticated and subscribed, before any other push
   * (after the `auth` reply when the token came in the first frame). Run the resume procedure on it.
   */
  | { ev: 'ready'; userId: string; protocol: number; serverTime: number };

/** Names of push frames. */
export type PushName = PushFrame['ev'];

/** Anything the server sends. */
export type ServerFrame = ReplyFrame | PushFrame;
