/**
 * The demo server's push side without a browser: the service worker route, the push config, VAPID
 * keys kept across restarts, and the real Web Push provider failing harmlessly when the push
 * service cannot be reached (as with `npm start` on a machine without internet).
 */
import { createECDH, randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createChat, createMemoryPresence, createMemoryStore, type Chat } from '@parley/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoServer, type DemoServer } from '../src/server.js';

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}

describe('demo server: push notifications (memory store, no browser)', () => {
  let dir: string;
  let chat: Chat;
  let server: DemoServer;
  const logs: string[] = [];
  const presence = createMemoryPresence();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parley-demo-push-'));
    chat = createChat({ store: createMemoryStore(), presence });
    server = await startDemoServer({ chat, dataDir: dir, port: 0, log: (m) => logs.push(m), push: { presence, pollMs: 60_000 } });
  });
  afterAll(async () => {
    await server?.close();
    await chat?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves the service worker for the whole site, never cached stale, and the page may register it', async () => {
    const res = await fetch(`${server.url}/sw.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('service-worker-allowed')).toBe('/');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const js = await res.text();
    expect(js).toContain('showNotification');
    expect(js).toContain('notificationclick');
    expect(js).not.toMatch(/^\s*(import|export)\b/m);
    const page = await fetch(server.url);
    expect(page.headers.get('content-security-policy')).toContain("worker-src 'self'");
  });

  it('gives the page the VAPID public key, generated once and kept in the data directory', async () => {
    const config = (await (await fetch(`${server.url}/api/push/config`)).json()) as { enabled: boolean; vapidPublicKey: string };
    expect(config.enabled).toBe(true);
    const key = Buffer.from(config.vapidPublicKey, 'base64url');
    expect(key.length).toBe(65); // an uncompressed P-256 point
    expect(key[0]).toBe(4);
    const saved = JSON.parse(await readFile(join(dir, 'vapid.json'), 'utf8')) as { publicKey: string; privateKey: string };
    expect(saved.publicKey).toBe(config.vapidPublicKey);
    const again = await startDemoServer({ chat, dataDir: dir, port: 0, log: () => {}, push: { presence, pollMs: 60_000 } });
    try {
      expect(again.push?.vapidPublicKey).toBe(config.vapidPublicKey);
    } finally {
      await again.close();
    }
    const off = await startDemoServer({ chat, dataDir: dir, port: 0, log: () => {} });
    try {
      expect(await (await fetch(`${off.url}/api/push/config`)).json()).toEqual({ enabled: false });
      expect(off.push).toBeNull();
    } finally {
      await off.close();
    }
  });

  it('an unreachable push service is logged and changes nothing', async () => {
    await chat.upsertUser({ id: 'ana', displayName: 'Ana' });
    await chat.upsertUser({ id: 'ben', displayName: 'Ben' });
    const dm = await chat.as('ana').openDirect({ userId: 'ben' });
    const p256dh = createECDH('prime256v1');
    p256dh.generateKeys();
    const token = JSON.stringify({ endpoint: `https://127.0.0.1:${await closedPort()}/push/ben`, keys: { p256dh: p256dh.getPublicKey().toString('base64url'), auth: randomBytes(16).toString('base64url') } });
    await server.push!.notifier.registerDevice({ userId: 'ben', deviceId: 'web-1', provider: 'webpush', token });
    const sent = await chat.as('ana').send({ conversationId: dm.id, clientId: 'c1', text: 'are you there?' });
    await server.push!.notifier.runOnce();
    expect(logs.filter((l) => l.startsWith('[push] push to webpush failed'))).toHaveLength(1);
    // not an invalid token: the device stays; the message is there; the server still answers
    expect((await server.push!.notifier.devices('ben')).map((d) => d.deviceId)).toEqual(['web-1']);
    expect((await chat.store.getMessage(dm.id, sent.seq))?.text).toBe('are you there?');
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});
