import { createChat, createMemoryStore, type Chat } from '@parley/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReactChat, type ReactChatServer } from '../src/server.js';

let chat: Chat;
let app: ReactChatServer;
beforeAll(async () => {
  chat = createChat({ store: createMemoryStore() });
  app = await startReactChat({ chat, port: 0 });
});
afterAll(async () => {
  await app.close();
  await chat.close();
});

const login = (body: unknown) => fetch(`${app.url}/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

describe('react-chat server', () => {
  it('serves the page Vite built, with a CSP, and its hashed assets', async () => {
    const res = await fetch(app.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await res.text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const js = await fetch(`${app.url}${script}`);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${app.url}/nope`)).status).toBe(404);
  });

  it('signs in by name (one user per name, any case) and refuses names it cannot use', async () => {
    const a = (await (await login({ name: 'Ana Lima' })).json()) as { token: string; user: { id: string; displayName: string } };
    const b = (await (await login({ name: '  ana LIMA ' })).json()) as { token: string; user: { id: string; displayName: string } };
    expect(a.user).toMatchObject({ id: 'ana-lima', displayName: 'Ana Lima' });
    expect(b.user.id).toBe('ana-lima');
    expect(b.user.displayName).toBe('Ana Lima');
    expect(a.token).not.toBe(b.token);
    for (const name of ['', '!!!', 'x'.repeat(41), 42]) expect((await login({ name })).status).toBe(400);
    const bad = await fetch(`${app.url}/api/login`, { method: 'POST', body: 'not json' });
    expect(bad.status).toBe(400);
  });
});
