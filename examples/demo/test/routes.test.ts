import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createChat, createMemoryStore, type Chat } from '@parley/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevAuth, userIdForName } from '../src/dev-auth.js';
import { startDemoServer, type DemoServer } from '../src/server.js';
import { imageDimensions } from '../src/upload-policy.js';

// A 2×3 PNG (header is all the server reads).
const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000020000000308060000009d74666e0000000d4944415478da63f8cfc0f01f0005fe02fea7d6a0a60000000049454e44ae426082',
  'hex',
);

describe('demo server routes (memory store, no browser)', () => {
  let dir: string;
  let chat: Chat;
  let server: DemoServer;
  let token: string;
  const post = (path: string, body: BodyInit, headers: Record<string, string>) =>
    fetch(`${server.url}${path}`, { method: 'POST', body, headers });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parley-demo-routes-'));
    chat = createChat({ store: createMemoryStore() });
    server = await startDemoServer({ chat, dataDir: dir, port: 0, maxUploadBytes: 64 * 1024, log: () => {} });
    const res = await post('/api/dev-login', JSON.stringify({ displayName: '  Ana   Lima ' }), { 'content-type': 'application/json' });
    token = ((await res.json()) as { token: string }).token;
  });
  afterAll(async () => {
    await server?.close();
    await chat?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('signs in by display name: stable id, normalized name, signed token', async () => {
    const res = await post('/api/dev-login', JSON.stringify({ displayName: 'ana lima' }), { 'content-type': 'application/json' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { token: string; user: { id: string; displayName: string }; devOnly: boolean };
    expect(body.devOnly).toBe(true);
    expect(body.user.id).toBe(userIdForName('Ana Lima'));
    expect(server.auth.verify(body.token)).toBe(body.user.id);
    expect(server.auth.verify(`${body.token.slice(0, -2)}xx`)).toBeNull();
    // A token signed with another secret is refused.
    expect(server.auth.verify(createDevAuth(Buffer.alloc(32, 7)).issue(body.user.id))).toBeNull();
  });

  it('refuses bad sign-ins', async () => {
    expect((await post('/api/dev-login', JSON.stringify({ displayName: '   ' }), { 'content-type': 'application/json' })).status).toBe(400);
    expect((await post('/api/dev-login', 'displayName=x', { 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(415);
    expect((await fetch(`${server.url}/api/dev-login`)).status).toBe(405);
  });

  it('expired tokens are refused', () => {
    let now = 1_000;
    const auth = createDevAuth(Buffer.alloc(32, 1), { ttlMs: 10, now: () => now });
    const t = auth.issue('u1');
    expect(auth.verify(t)).toBe('u1');
    now = 2_000;
    expect(auth.verify(t)).toBeNull();
  });

  it('uploads need the token in the Authorization header', async () => {
    expect((await post('/api/upload', PNG, { 'content-type': 'image/png' })).status).toBe(401);
    expect((await post('/api/upload', PNG, { 'content-type': 'image/png', authorization: 'Bearer nope' })).status).toBe(401);
  });

  it('stores an image and serves it inline with its type and nosniff', async () => {
    const res = await post('/api/upload', PNG, { 'content-type': 'image/png', authorization: `Bearer ${token}`, 'x-file-name': encodeURIComponent('dot é.png') });
    expect(res.status).toBe(201);
    const { attachment } = (await res.json()) as { attachment: { url: string; mime: string; size: number; name: string; width: number; height: number } };
    expect(attachment).toMatchObject({ mime: 'image/png', size: PNG.length, name: 'dot é.png', width: 2, height: 3 });
    expect(attachment.url).toMatch(/^\/media\/[\w-]{22,}$/);
    const file = await fetch(`${server.url}${attachment.url}`);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('image/png');
    expect(file.headers.get('x-content-type-options')).toBe('nosniff');
    expect(file.headers.get('content-disposition')).toMatch(/^inline;/);
    expect(Buffer.from(await file.arrayBuffer()).equals(PNG)).toBe(true);
  });

  it('serves other files as downloads', async () => {
    const res = await post('/api/upload', '<script>alert(1)</script>', { 'content-type': 'text/plain', authorization: `Bearer ${token}`, 'x-file-name': 'notes.txt' });
    expect(res.status).toBe(201);
    const { attachment } = (await res.json()) as { attachment: { url: string } };
    const file = await fetch(`${server.url}${attachment.url}`);
    expect(file.headers.get('content-type')).toBe('text/plain');
    expect(file.headers.get('x-content-type-options')).toBe('nosniff');
    expect(file.headers.get('content-disposition')).toMatch(/^attachment; filename="notes.txt"/);
    expect(file.headers.get('content-security-policy')).toContain('sandbox');
  });

  it('refuses too large files with 413', async () => {
    const big = Buffer.alloc(64 * 1024 + 1, 0x61);
    const res = await post('/api/upload', big, { 'content-type': 'text/plain', authorization: `Bearer ${token}` });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/too large.*64 KiB/);
  });

  it('refuses unaccepted types and mismatched content with 415', async () => {
    const svg = await post('/api/upload', '<svg xmlns="http://www.w3.org/2000/svg"/>', { 'content-type': 'image/svg+xml', authorization: `Bearer ${token}` });
    expect(svg.status).toBe(415);
    const html = await post('/api/upload', '<html>', { 'content-type': 'text/html', authorization: `Bearer ${token}` });
    expect(html.status).toBe(415);
    const fake = await post('/api/upload', 'not a png', { 'content-type': 'image/png', authorization: `Bearer ${token}` });
    expect(fake.status).toBe(415);
  });

  it('404s unknown and malformed media ids without touching the disk outside its directory', async () => {
    expect((await fetch(`${server.url}/media/AAAAAAAAAAAAAAAAAAAAAAAA`)).status).toBe(404);
    expect((await fetch(`${server.url}/media/..%2Fdev-auth-secret`)).status).toBe(404);
  });

  it('serves the page with a strict CSP and the bundled script', async () => {
    const page = await fetch(`${server.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    const src = /src="(\/app\.js\?v=\w+)"/.exec(html)?.[1];
    expect(src).toBeDefined();
    const js = await fetch(`${server.url}${src}`);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect((await js.text()).length).toBeGreaterThan(1000);
  });

  it('reads image sizes from headers', () => {
    expect(imageDimensions('image/png', PNG)).toEqual({ width: 2, height: 3 });
    const gif = Buffer.from('474946383961050007000000', 'hex');
    expect(imageDimensions('image/gif', gif)).toEqual({ width: 5, height: 7 });
    expect(imageDimensions('image/jpeg', Buffer.from('ffd8ffc0001108000a0014', 'hex'))).toEqual({ width: 20, height: 10 });
  });
});
