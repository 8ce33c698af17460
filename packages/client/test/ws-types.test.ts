/**
 * The `ws` package's class is a `WebSocket` option as it is, with no cast (checked by
 * `npm run typecheck`, which covers this file), and the client is an event emitter at run time
 * (`on`/`off` come from eventemitter3's named export).
 */
import WsDefault, { WebSocket } from 'ws';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { createClient, type WebSocketConstructor } from '../src/index.js';

describe("ws's WebSocket", () => {
  it('is assignable to WebSocketConstructor, by its named and its default export', () => {
    const named: WebSocketConstructor = WebSocket;
    const byDefault: WebSocketConstructor = WsDefault;
    expectTypeOf(WebSocket).toExtend<WebSocketConstructor>();
    expect(named).toBe(byDefault);
  });

  it('is accepted by createClient, which is an event emitter', () => {
    const client = createClient({ url: 'ws://127.0.0.1:9/parley', token: 't', WebSocket, window: null, autoConnect: false });
    const seen: string[] = [];
    const listener = (state: string) => seen.push(state);
    client.on('state', listener);
    client.emit('state', 'probe' as never, {} as never);
    client.off('state', listener);
    client.emit('state', 'again' as never, {} as never);
    expect(seen).toEqual(['probe']);
    client.close();
  });
});
