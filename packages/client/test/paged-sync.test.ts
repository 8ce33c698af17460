import type { ChatSession } from '@parley/core';
import type { SyncResult } from '@parley/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ParleyClient } from '../src/index.js';
import { TestServer, device, heldInbox, serverInbox, until } from './harness.js';

/**
 * Until the engine pages `sync` itself, the server here pages the engine's full reply at the
 * session boundary, in the documented shape: two entries per page, contacts on the first, the
 * same cursor on every page. Everything else (engine, ws server, wire, client) is the real one.
 */
function pageSync(server: TestServer, calls: Array<Record<string, unknown>>): void {
  const chat = server.chat;
  const as = chat.as.bind(chat);
  chat.as = (userId: string): ChatSession => {
    const session = as(userId);
    const call = session.call.bind(session);
    const paged = async (op: string, params: unknown) => {
        if (op !== 'sync') return call(op, params);
        const { page, ...rest } = params as { since?: string; page?: string };
        calls.push(params as Record<string, unknown>);
        const full = (await call('sync', rest)) as SyncResult;
        const from = page === undefined ? 0 : Number(page);
        const next = from + 2 < full.entries.length ? String(from + 2) : null;
        return { ...full, entries: full.entries.slice(from, from + 2), contacts: from === 0 ? full.contacts : [], nextPage: next };
    };
    return new Proxy(session, {
      get(target, key) {
        if (key === 'call') return paged;
        const value = Reflect.get(target, key, target) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  };
}

describe('paged sync against the real ws server', () => {
  let server: TestServer;
  let clients: ParleyClient[] = [];
  const calls: Array<Record<string, unknown>> = [];

  beforeEach(async () => {
    server = new TestServer();
    pageSync(server, calls);
    await server.start();
    for (const id of ['ana', 'ben', 'cy']) await server.chat.upsertUser({ id, displayName: id });
  });

  afterEach(async () => {
    for (const c of clients) c.close();
    clients = [];
    calls.length = 0;
    await server.stop();
    await server.chat.close();
  });

  it('the client follows nextPage until null: every row, contacts once, and the cursor of the last page for the next sync', async () => {
    for (let i = 0; i < 5; i++) await server.chat.as('ben').createGroup({ title: `g${i}`, memberIds: ['ana'] });
    await server.chat.as('ana').setContact({ userId: 'cy' });
    const ana = device(server, 'ana', 'paged');
    clients.push(ana);
    await ana.ready();
    expect(calls.map((c) => c.page ?? null)).toEqual([null, '2', '4']);
    expect(calls.every((c) => c.since === undefined)).toBe(true);
    expect(ana.inbox.getSnapshot().items).toHaveLength(5);
    expect(heldInbox(ana).sort((a, b) => (a.id < b.id ? -1 : 1))).toEqual((await serverInbox(server.chat, 'ana')).sort((a, b) => (a.id < b.id ? -1 : 1)));
    expect(ana.contacts.getSnapshot().map((c) => c.userId)).toEqual(['cy']);

    // the next resume asks from the cursor all pages carried
    calls.length = 0;
    for (let i = 5; i < 8; i++) await server.chat.as('ben').createGroup({ title: `g${i}`, memberIds: ['ana'] });
    ana.reconnect();
    await until(() => ana.state === 'ready' && calls.length >= 2);
    expect(calls[0]!.since).toEqual(expect.any(String));
    expect(new Set(calls.map((c) => c.since)).size).toBe(1);
    await until(() => expect(ana.inbox.getSnapshot().items).toHaveLength(8));
    expect(ana.contacts.getSnapshot().map((c) => c.userId)).toEqual(['cy']);
  });
});
