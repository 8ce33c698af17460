/**
 * The subset of the WHATWG `WebSocket` the client uses. The browser's `WebSocket`, Node >= 22's
 * global one and the `ws` package's class all fit.
 */
export interface WebSocketLike {
  readonly readyState: number;
  readonly protocol: string;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
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
