import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createClient, type ParleyClient } from '@parley/client';
import { postgresStore, startHostApp, startWebhookReceiver, type HostApp, type WebhookReceiver } from '../src/index.js';

const PG_URL = process.env.PARLEY_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function serverReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    return true;
  } catch (error) {
    const hint = `no Postgres at ${PG_URL.replace(/\/\/[^@]*@/, '//***@')}: set PARLEY_PG_URL or start Postgres to run the embed-http example test`;
    if (process.env.CI === 'true') throw new Error(`CI=true but ${hint} (${String(error)})`);
    console.warn(`[embed-http] skipping: ${hint}`);
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

const available = await serverReachable();

async function login(app: HostApp, username: string, password: string): Promise<Response> {
  return fetch(`${app.url}/login`, { method: 'POST', body: JSON.stringify({ username, password }) });
}

const until = async (check: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe.skipIf(!available)('embed-http: Parley inside an existing HTTP app on Postgres', () => {
  const schema = `parley_embed_${randomBytes(5).toString('hex')}`;
  let app: HostApp;
  let pgStore: Awaited<ReturnType<typeof postgresStore>>;
  let receiver: WebhookReceiver;
  const clients: ParleyClient[] = [];
  const secret = 'whsec-embed-http-test';

  beforeAll(async () => {
    pgStore = await postgresStore({ url: PG_URL, schema });
    receiver = await startWebhookReceiver({ secret });
    app = await startHostApp({ store: pgStore.store, port: 0, webhooks: [{ id: 'backend', url: receiver.url, secret, types: ['message'] }] });
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await app?.close();
    await receiver?.close();
    if (pgStore) {
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(pgStore.db);
      await pgStore.close();
    }
  });

  it('keeps the host routes and logs users in with the host app’s own accounts', async () => {
    expect((await fetch(`${app.url}/health`)).status).toBe(200);
    expect((await login(app, 'alice', 'nope')).status).toBe(401);
    const ok = await login(app, 'alice', 'wonderland');
    expect(ok.status).toBe(200);
    const { token } = (await ok.json()) as { token: string };
    expect((await fetch(`${app.url}/me`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
  });

  it('two users chat over the embedded socket with their session tokens; a revoked session is closed', async () => {
    const tokens: Record<string, string> = {};
    for (const [u, p] of [['alice', 'wonderland'], ['bob', 'builder']] as const) {
      tokens[u] = ((await (await login(app, u, p)).json()) as { token: string }).token;
    }
    const connect = (token: string) => {
      const c = createClient({ url: app.chatUrl, token, WebSocket, window: null });
      clients.push(c);
      return c;
    };
    const alice = connect(tokens.alice!);
    const bob = connect(tokens.bob!);
    await until(() => alice.connection.getSnapshot().state === 'ready' && bob.connection.getSnapshot().state === 'ready');

    const dm = await alice.api.openDirect({ userId: 'bob' });
    const handle = alice.send({ conversationId: dm.id, text: 'Hello from the host app' });
    const sent = await handle.message;
    await until(() => bob.inbox.getSnapshot().byId[dm.id]?.conversation.lastMessage?.seq === sent.seq);
    expect(bob.inbox.getSnapshot().byId[dm.id]?.unread).toBe(1);
    const history = await app.chat.as('bob').history({ conversationId: dm.id });
    expect(history.events.filter((e) => e.type === 'message').map((e) => (e.type === 'message' ? e.message.text : null))).toEqual([
      'Hello from the host app',
    ]);

    // the host's backend got the message as a signed webhook from the change feed
    await until(() => receiver.payloads.some((p) => p.conversationId === dm.id && p.seq === sent.seq));
    const hook = receiver.payloads.find((p) => p.conversationId === dm.id && p.seq === sent.seq)!;
    expect(hook.event.type === 'message' && hook.event.message.text).toBe('Hello from the host app');
    expect(receiver.rejected).toBe(0);
    const forged = await fetch(receiver.url, { method: 'POST', body: JSON.stringify(hook), headers: { 'parley-signature': 't=1,v1=' + '0'.repeat(64) } });
    expect(forged.status).toBe(401);

    // a bad token never gets a session
    const intruder = connect('not-a-session');
    await until(() => intruder.connection.getSnapshot().state === 'auth_failed');

    // logging out in the host app ends the chat session at the next re-validation
    app.revoke(tokens.bob!);
    await until(() => bob.connection.getSnapshot().state === 'auth_failed', 8000);
  });
  it('"download my data" streams the export; "delete my account" erases the user, ends their sessions and refuses logins', async () => {
    const carol = (await (await login(app, 'carol', 'singer')).json()) as { token: string };
    await login(app, 'bob', 'builder');
    const dm = await app.chat.as('carol').openDirect({ userId: 'bob' });
    await app.chat.as('carol').send({ conversationId: dm.id, clientId: 'c1', text: 'carol was here' });
    const auth = { authorization: `Bearer ${carol.token}` };
    const download = await fetch(`${app.url}/me/data`, { headers: auth });
    expect(download.headers.get('content-type')).toBe('application/x-ndjson');
    const records = (await download.text()).trim().split('\n').map((l) => JSON.parse(l) as { type: string; message?: { text: string } });
    expect(records[0]).toMatchObject({ type: 'header', format: 'parley.user-export', userId: 'carol' });
    expect(records.filter((r) => r.type === 'message').map((r) => r.message!.text)).toEqual(['carol was here']);
    expect(records.at(-1)).toMatchObject({ type: 'end' });

    const erased = await fetch(`${app.url}/me`, { method: 'DELETE', headers: auth });
    expect(erased.status).toBe(200);
    expect(await erased.json()).toMatchObject({ userId: 'carol', mode: 'purge', messagesErased: 1 });
    expect((await fetch(`${app.url}/me/data`, { headers: auth })).status).toBe(401);
    expect((await login(app, 'carol', 'singer')).status).toBe(410);
    const history = await app.chat.as('bob').history({ conversationId: dm.id });
    expect(JSON.stringify(history)).not.toContain('carol was here');
  });
});
