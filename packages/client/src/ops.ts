import { ENGINE_OP_NAMES } from '@parley/protocol/lite';
import type { AnyOpName, AnyParamsOf, AnyResultOf } from '@parley/protocol';

/** Every operation a client may call: the engine's ops and the wire-level typing, signal and ping. */
export const OP_NAMES = [...ENGINE_OP_NAMES, 'typing', 'signal', 'ping'] as const satisfies readonly Exclude<AnyOpName, 'auth'>[];

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
