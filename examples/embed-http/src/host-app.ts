import { randomBytes, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createChat, exportLines, type Chat, type ChatStore } from '@parley/core';
import { createWsServer, type OriginPolicy } from '@parley/transport-ws';
import { createWebhooks, type WebhookEndpoint } from '@parley/webhooks';

/** Options of {@link startHostApp}. */
export interface HostAppOptions {
  /** Where Parley keeps its data (the example's main.ts passes a Postgres or MongoDB store). */
  store: ChatStore;
  /** Port to listen on; 0 picks a free one. Default 3001. */
  port?: number;
  /** Browser origins allowed to open the chat socket. Default: none but non-browser clients. */
  origins?: OriginPolicy;
  /** Session lifetime in ms. Default 1 hour. */
  sessionTtlMs?: number;
  /** Webhook endpoints fed from the change feed (durable: a restart resumes where it stopped). Default: none. */
  webhooks?: WebhookEndpoint[];
}

/** A running host app. */
export interface HostApp {
  /** Base URL of the app's HTTP routes. */
  url: string;
  /** WebSocket URL of the embedded chat. */
  chatUrl: string;
  chat: Chat;
  /** End a session (logout); the chat socket of that session is closed at the next re-validation. */
  revoke(token: string): void;
  close(): Promise<void>;
}

// The host app's own accounts. In a real app these live in its database with hashed passwords.
const ACCOUNTS: Record<string, { password: string; name: string }> = {
  alice: { password: 'wonderland', name: 'Alice' },
  bob: { password: 'builder', name: 'Bob' },
  carol: { password: 'singer', name: 'Carol' },
};

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 10_000) throw new Error('body too large');
  }
  const parsed: unknown = JSON.parse(body || '{}');
  return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/**
 * An existing Node HTTP app (its own login, sessions and routes) with Parley embedded next to
 * them: the chat socket lives at `/chat` on the same server and authenticates with the app's own
 * session tokens, which clients send in their first frame (never in the URL).
 */
export async function startHostApp(options: HostAppOptions): Promise<HostApp> {
  const ttl = options.sessionTtlMs ?? 3_600_000;
  const sessions = new Map<string, { userId: string; expiresAt: number }>();
  const sessionUser = (token: string | undefined) => {
    const session = token === undefined ? undefined : sessions.get(token);
    return session && session.expiresAt > Date.now() ? session.userId : null;
  };
  const chat = createChat({ store: options.store });
  // the backend reacts to chat through the change feed: every committed message reaches the
  // endpoints, also those committed by another node or while this one was down
  const webhooks = options.webhooks?.length ? createWebhooks({ chat, endpoints: options.webhooks, feed: { pollMs: 200 } }) : null;
  webhooks?.start();
  // accounts deleted through DELETE /me (a real app marks them in its own database)
  const deleted = new Set<string>();

  // the host owns its HTTP timeouts: without these a half-sent upgrade holds a socket for 80–95 s
  const server = createServer({ headersTimeout: 5_000, requestTimeout: 10_000, connectionsCheckingInterval: 1_000 }, (req, res) => {
    void (async () => {
      if (req.method === 'POST' && req.url === '/login') {
        const { username, password } = await readJson(req);
        const account = typeof username === 'string' ? ACCOUNTS[username] : undefined;
        if (!account || typeof password !== 'string' || !sameSecret(password, account.password)) {
          return send(res, 401, { error: 'wrong username or password' });
        }
        if (deleted.has(username as string)) return send(res, 410, { error: 'this account was deleted' });
        const token = randomBytes(24).toString('base64url');
        sessions.set(token, { userId: username as string, expiresAt: Date.now() + ttl });
        // tell Parley who this user is; the app stays the owner of identity
        await chat.upsertUser({ id: username as string, displayName: account.name });
        return send(res, 200, { token, userId: username });
      }
      if (req.method === 'GET' && req.url === '/health') return send(res, 200, { ok: true });
      if (req.method === 'GET' && req.url === '/me') {
        const userId = sessionUser(req.headers.authorization?.replace(/^Bearer /, ''));
        return userId ? send(res, 200, { userId }) : send(res, 401, { error: 'not signed in' });
      }
      if (req.method === 'GET' && req.url === '/me/data') {
        // "download my data": the user's Parley export, streamed as JSON lines
        const userId = sessionUser(req.headers.authorization?.replace(/^Bearer /, ''));
        if (!userId) return send(res, 401, { error: 'not signed in' });
        res.writeHead(200, { 'content-type': 'application/x-ndjson', 'content-disposition': `attachment; filename="${userId}-chat.jsonl"` });
        for await (const line of exportLines(chat.exportUser(userId))) {
          if (!res.write(line)) await once(res, 'drain');
        }
        return void res.end();
      }
      if (req.method === 'DELETE' && req.url === '/me') {
        // "delete my account": end the app's sessions, then erase the user from Parley (their
        // open chat sockets are closed and cannot come back); rerun-safe if it fails midway
        const userId = sessionUser(req.headers.authorization?.replace(/^Bearer /, ''));
        if (!userId) return send(res, 401, { error: 'not signed in' });
        deleted.add(userId);
        for (const [token, session] of sessions) if (session.userId === userId) sessions.delete(token);
        const report = await chat.eraseUser(userId, { mode: 'purge' });
        return send(res, 200, report);
      }
      send(res, 404, { error: 'not found' });
    })().catch(() => send(res, 400, { error: 'bad request' }));
  });

  const ws = await createWsServer({
    chat,
    server,
    path: '/chat',
    origins: options.origins ?? [],
    authenticate: ({ token }) => sessionUser(token),
    revalidate: ({ token }) => sessionUser(token) !== null,
    limits: { revalidateIntervalMs: 1_000 },
  });

  await new Promise<void>((resolve) => server.listen(options.port ?? 3001, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    chatUrl: `ws://127.0.0.1:${port}/chat`,
    chat,
    revoke: (token) => void sessions.delete(token),
    async close() {
      await ws.close();
      await webhooks?.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await chat.close();
    },
  };
}
