import { describe, expect, it, vi } from 'vitest';

describe('SSR safety', () => {
  it('importing the client and creating storage adapters touches neither window nor localStorage nor ws', async () => {
    const touched: string[] = [];
    for (const name of ['window', 'localStorage', 'indexedDB', 'document']) {
      Object.defineProperty(globalThis, name, { configurable: true, get: () => void touched.push(name) });
    }
    try {
      vi.resetModules();
      const mod = await import('../src/index.js');
      mod.localStorageOutbox('k');
      mod.indexedDbOutbox('db');
      const client = mod.createClient({ url: 'ws://127.0.0.1:1/x', token: 't', autoConnect: false, window: null, WebSocket: class {} as never });
      client.close();
      expect(touched).toEqual([]);
    } finally {
      for (const name of ['window', 'localStorage', 'indexedDB', 'document']) delete (globalThis as Record<string, unknown>)[name];
    }
  });

  it('without a WebSocket (Node 20) it explains what to pass', async () => {
    const { createClient, isParleyError } = await import('../src/index.js');
    const had = (globalThis as { WebSocket?: unknown }).WebSocket;
    delete (globalThis as { WebSocket?: unknown }).WebSocket;
    try {
      expect(() => createClient({ url: 'ws://127.0.0.1:1', token: 't', window: null })).toThrow(/pass \{ WebSocket \} from the "ws" package/);
      try {
        createClient({ url: 'ws://127.0.0.1:1', token: 't', window: null });
      } catch (e) {
        expect(isParleyError(e, 'INVALID')).toBe(true);
      }
    } finally {
      if (had) (globalThis as { WebSocket?: unknown }).WebSocket = had;
    }
  });
});
