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

/*
 * Constants mirrored from `@parley/protocol` (SUBPROTOCOL, CLOSE_CODES). They are copied rather than
 * imported because the protocol package's built `dist/index.js` is one module whose top-level zod
 * schema calls bundlers cannot drop: importing even a constant from it pulls ~450 KB of zod into a
 * browser bundle. `transport.test.ts` checks that the copies match.
 */

/** Subprotocol offered on connect. */
export const SUBPROTOCOL = 'parley.v1';

/** Close codes the client reacts to. */
export const CLOSE_CODES = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  UNAUTHENTICATED: 4001,
  SESSION_REVOKED: 4003,
  TOO_MANY_CONNECTIONS: 4008,
  SLOW_CONSUMER: 4011,
  RESUME_REQUIRED: 4012,
  POLICY_VIOLATION: 4029,
} as const;

/** Close code the client uses when it drops a socket itself (ping timeout, failed resume). */
export const CLIENT_DROP = 4900;
