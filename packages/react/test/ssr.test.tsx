// @vitest-environment node
import { describe, expect, it } from 'vitest';

const BROWSER_GLOBALS = ['window', 'document', 'localStorage', 'sessionStorage', 'indexedDB', 'navigator', 'location'];

describe('server rendering', () => {
  it('renders the initial state with react-dom/server and touches no browser global', async () => {
    const touched: string[] = [];
    const saved = new Map(BROWSER_GLOBALS.map((name) => [name, Object.getOwnPropertyDescriptor(globalThis, name)]));
    for (const name of BROWSER_GLOBALS) Object.defineProperty(globalThis, name, { configurable: true, get: () => void touched.push(name) });
    try {
      const [{ renderToString }, { createClient }, { WebSocket }, { ChatApp }] = await Promise.all([
        import('react-dom/server'),
        import('@parley/client'),
        import('ws'),
        import('./app.js'),
      ]);
      // a client that exists on the server (never connects), and no client at all: the same HTML
      const client = createClient({ url: 'ws://127.0.0.1:1/parley', token: 't', WebSocket, window: null, autoConnect: false });
      const withClient = renderToString(<ChatApp client={client} conversationId="c1" />);
      const without = renderToString(<ChatApp client={null} conversationId="c1" />);
      client.close();
      expect(withClient).toBe('<header id="head">idle · 0 conversations · 0 unread</header><main id="messages" data-loaded="false"></main>');
      expect(without).toBe(withClient);
      expect(touched).toEqual([]);
    } finally {
      for (const [name, descriptor] of saved) {
        if (descriptor) Object.defineProperty(globalThis, name, descriptor);
        else delete (globalThis as Record<string, unknown>)[name];
      }
    }
  });
});
