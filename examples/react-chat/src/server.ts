import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Chat } from '@parley/core';
import { createWsServer } from '@parley/transport-ws';
import { MAX_NAME, userIdFor } from './user-id.js';
import { buildWebApp, type WebAssets } from './web-build.js';

/** Options of {@link startReactChat}. */
export interface ReactChatOptions {
  /** The engine to serve. */
  chat: Chat;
  /** Port; 0 picks a free one. Default 3001. */
  port?: number;
  /** Interface to bind. Default 127.0.0.1 (not reachable from other machines). */
  host?: string;
  /** Minify the app. Default true. */
  minify?: boolean;
}

/** A running app: the page, the dev-only sign-in and the Parley WebSocket endpoint on one port. */
export interface ReactChatServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** The page loads only its own scripts and styles and talks only to its own origin (the WebSocket included). */
const CSP = "default-src 'self'; connect-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const chunk of req) {
    text += String(chunk);
    if (text.length > 4096) throw new Error('body too large');
  }
  const value: unknown = JSON.parse(text || '{}');
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(body));
}

/**
 * Serve the React app (built in memory by Vite on first start) and the Parley endpoint.
 *
 * Sign-in is DEVELOPMENT-ONLY, as in the demo: `POST /api/login { name }` makes whoever types a
 * name that user and returns a random token the WebSocket accepts. A real app authenticates its
 * users itself and maps its session to a user id in `authenticate`.
 */
export async function startReactChat(options: ReactChatOptions): Promise<ReactChatServer> {
  const { chat } = options;
  const tokens = new Map<string, string>();
  const assets: WebAssets = await buildWebApp({ minify: options.minify ?? true });

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (req.method === 'POST' && path === '/api/login') {
      readJson(req)
        .then(async (body) => {
          const name = typeof body.name === 'string' ? body.name.trim() : '';
          const userId = userIdFor(name);
          if (!userId) return json(res, 400, { error: `Give a name of 1 to ${MAX_NAME} characters with a letter or digit.` });
          const [existing] = await chat.store.getUsers([userId]);
          const user = existing ?? (await chat.upsertUser({ id: userId, displayName: name }));
          const token = randomBytes(24).toString('base64url');
          tokens.set(token, userId);
          json(res, 200, { token, user });
        })
        .catch(() => json(res, 400, { error: 'Send JSON: { "name": "…" }.' }));
      return;
    }
    const asset = req.method === 'GET' ? assets.get(path === '/' ? '/index.html' : path) : undefined;
    if (!asset) return json(res, 404, { error: 'Not found.' });
    res.writeHead(200, {
      'Content-Type': asset.type,
      'Cache-Control': path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      'X-Content-Type-Options': 'nosniff',
      ...(asset.type.startsWith('text/html') ? { 'Content-Security-Policy': CSP, 'X-Frame-Options': 'DENY' } : {}),
    });
    res.end(asset.body);
  });

  const own = new Set<string>();
  const ws = await createWsServer({
    chat,
    server,
    path: '/parley',
    origins: (origin: string) => own.has(origin),
    authenticate: ({ token }) => (token ? (tokens.get(token) ?? null) : null),
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 3001, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  for (const h of [host, 'localhost', '127.0.0.1']) own.add(`http://${h}:${port}`);
  return {
    url: `http://${host}:${port}`,
    server,
    async close() {
      await ws.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
