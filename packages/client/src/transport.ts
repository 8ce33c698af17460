/**
 * An event-handler slot. Written as a method type on purpose: method parameters are compared both
 * ways, so a socket whose handlers take a richer event (the DOM's `MessageEvent`, `ws`'s
 * `WebSocket.MessageEvent`) still fits, while the client only reads the fields named here.
 */
type Handler<E> = { handle(event: E): void }['handle'];

/**
 * The subset of the WHATWG `WebSocket` the client uses. The browser's `WebSocket`, Node >= 22's
 * global one and the `ws` package's class all fit without a cast.
 */
export interface WebSocketLike {
  readonly readyState: number;
  readonly protocol: string;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: Handler<unknown> | null;
  onmessage: Handler<{ data: unknown }> | null;
  onclose: Handler<{ code: number; reason: string }> | null;
  onerror: Handler<unknown> | null;
}

/** A `WebSocket` constructor: `globalThis.WebSocket`, or `WebSocket` from the `ws` package in Node 20. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** The parts of a browser `window` used for online/offline awareness. */
export interface WindowLike {
  addEventListener(type: 'online' | 'offline', listener: () => void): void;
  removeEventListener(type: 'online' | 'offline', listener: () => void): void;
  navigator?: { onLine?: boolean };
}

export { SUBPROTOCOL, CLOSE_CODES } from '@parley/protocol/lite';

/** Close code the client uses when it drops a socket itself (ping timeout, failed resume). */
export const CLIENT_DROP = 4900;
