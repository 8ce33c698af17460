// @vitest-environment happy-dom
import { act } from '@testing-library/react';
import { hydrateRoot } from 'react-dom/client';
import { renderToString } from 'react-dom/server';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ChatApp } from './app.js';
import { startWorld, type TestWorld } from './support.js';

// Node's real `ws` for the server and clients (the DOM environment would resolve its browser stub).
vi.mock('ws', async () => (await import('./node-ws.js')).nodeWs());

let world: TestWorld;
beforeAll(async () => {
  world = await startWorld(['ana', 'ben']);
});
afterAll(() => world.close());

describe('hydration', () => {
  it('hydrates server HTML without a mismatch although the client already holds data, then shows it', async () => {
    const dm = await world.chat.as('ben').openDirect({ userId: 'ana' });
    await world.chat.as('ben').send({ conversationId: dm.id, clientId: 'x1', text: 'hello from the server' });
    const html = renderToString(<ChatApp client={null} conversationId={dm.id} />);

    // the browser's client is ready and holds the conversation before React hydrates
    const ana = world.client('ana');
    await ana.ready();
    await ana.open(dm.id);
    expect(ana.messages(dm.id).getSnapshot().messages).toHaveLength(1);

    const container = document.createElement('div');
    container.innerHTML = html;
    document.body.append(container);
    const recoverable: unknown[] = [];
    const consoleErrors: unknown[][] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void consoleErrors.push(args));
    try {
      const root = await act(async () => hydrateRoot(container, <ChatApp client={ana} conversationId={dm.id} />, { onRecoverableError: (e) => void recoverable.push(e) }));
      expect(recoverable).toEqual([]);
      expect(consoleErrors).toEqual([]);
      // after hydration the hooks switch to the client's snapshots
      expect(container.querySelector('#head')?.textContent).toBe('ready · 1 conversations · 1 unread');
      expect(container.querySelector('#messages')?.textContent).toBe('hello from the server');
      act(() => root.unmount());
    } finally {
      spy.mockRestore();
      container.remove();
    }
  });
});
