import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Attachment } from '@parley/protocol';
import type { Chat } from '@parley/core';
import { createWsServer } from '@parley/transport-ws';
import { bearerToken, createDevAuth, loadOrCreateSecret, normalizeDisplayName, userIdForName, type DevAuth } from './dev-auth.js';
import { BASE_HEADERS, HttpError, readBody, readJson, sendError, sendJson } from './http.js';
import { createDiskMediaStore, type MediaStore } from './media-store.js';
import { renderIndexHtml } from './page.js';
import { startDemoPush, type DemoPush, type DemoPushOptions } from './push.js';
import { welcomeNewUser } from './seed.js';
import {
  ALLOWED_MIME_TYPES,
  INLINE_IMAGE_TYPES,
  MAX_UPLOAD_BYTES,
  baseMime,
  cleanFileName,
  imageDimensions,
  matchesDeclaredType,
} from './upload-policy.js';
import { buildWebAssets, type WebAssets } from './web-bundle.js';

/** Options of {@link startDemoServer}. */
export interface DemoServerOptions {
  /** The engine to serve (see `openDemoStorage` for the PGlite one). */
  chat: Chat;
  /** Where the auth secret and uploaded files live. */
  dataDir: string;
  /** Port to listen on; 0 picks a free one. Default 3000. */
  port?: number;
  /** Interface to bind. Default `127.0.0.1` (not reachable from other machines). */
  host?: string;
  /** Where attachments go. Default: the local disk under `<dataDir>/media`. */
  media?: MediaStore;
  /** Largest upload in bytes. Default {@link MAX_UPLOAD_BYTES} (10 MiB). */
  maxUploadBytes?: number;
  /** Minify the page's script. Default false (readable in dev tools). */
  minify?: boolean;
  /** Log lines (requests that failed, WebSocket warnings). Default: `console`. */
  log?: (message: string) => void;
  /**
   * Push notifications for users without a live connection (see src/push.ts). Off when absent:
   * the page then offers no notifications.
   */
  push?: DemoPushOptions;
}

/** A running demo server. */
export interface DemoServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  server: Server;
  /** The dev-only token signer (tests use it to sign in without the page). */
  auth: DevAuth;
  /** The push notifier, when the `push` option was given. */
  push: DemoPush | null;
  /** Stop accepting connections, close WebSockets, and stop the HTTP server. Does not close the engine. */
  close(): Promise<void>;
}

/** Path of the WebSocket endpoint. */
export const WS_PATH = '/parley';

/**
 * Start the demo's HTTP server: the page, the dev sign-in, uploads, media and the Parley
 * WebSocket endpoint, all on one port.
 */
export async function startDemoServer(options: DemoServerOptions): Promise<DemoServer> {
  const { chat, dataDir } = options;
  const host = options.host ?? '127.0.0.1';
  const maxUpload = options.maxUploadBytes ?? MAX_UPLOAD_BYTES;
  const log = options.log ?? ((m: string) => console.warn(m));
  const auth = createDevAuth(await loadOrCreateSecret(join(dataDir, 'dev-auth-secret')));
  const media = options.media ?? createDiskMediaStore({ dir: join(dataDir, 'media') });
  const push = options.push ? await startDemoPush({ ...options.push, chat, vapidFile: join(dataDir, 'vapid.json'), log }) : null;
  let assets: Promise<WebAssets> | undefined;
  const getAssets = () => (assets ??= buildWebAssets({ minify: options.minify ?? false }).catch((e: unknown) => {
    assets = undefined;
    throw e;
  }));

  const userOf = (req: IncomingMessage): string => {
    const token = bearerToken(req.headers.authorization);
    const userId = token ? auth.verify(token) : null;
    if (!userId) throw new HttpError(401, 'Sign in first (missing or invalid token).', 'UNAUTHENTICATED');
    return userId;
  };

  const routes = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    // HEAD is answered like GET; Node leaves the body out.
    const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
    const path = url.pathname;

    if (method === 'GET' && (path === '/' || path === '/index.html')) {
      const a = await getAssets();
      const html = renderIndexHtml(a.version);
      res.writeHead(200, {
        ...BASE_HEADERS,
        'Content-Type': 'text/html; charset=utf-8',
        'Cache-Control': 'no-cache',
        'Content-Security-Policy':
          "default-src 'self'; worker-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; connect-src 'self'; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'",
        'X-Frame-Options': 'DENY',
      });
      res.end(html);
      return;
    }
    if (method === 'GET' && (path === '/app.js' || path === '/app.css')) {
      const a = await getAssets();
      const js = path === '/app.js';
      res.writeHead(200, {
        ...BASE_HEADERS,
        'Content-Type': js ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8',
        'Cache-Control': url.searchParams.get('v') === a.version ? 'public, max-age=31536000, immutable' : 'no-cache',
      });
      res.end(js ? a.js : a.css);
      return;
    }
    if (method === 'GET' && path === '/sw.js') {
      const a = await getAssets();
      res.writeHead(200, {
        ...BASE_HEADERS,
        'Content-Type': 'text/javascript; charset=utf-8',
        // the browser checks for a new worker on every visit; the scope is the whole site
        'Cache-Control': 'no-cache',
        'Service-Worker-Allowed': '/',
        'Content-Security-Policy': "default-src 'self'; object-src 'none'; base-uri 'none'",
      });
      res.end(a.sw);
      return;
    }
    if (method === 'GET' && path === '/api/push/config') {
      // The VAPID public key is public: the page subscribes with it.
      sendJson(res, 200, push ? { enabled: true, vapidPublicKey: push.vapidPublicKey } : { enabled: false });
      return;
    }
    if (method === 'GET' && path === '/favicon.svg') {
      res.writeHead(200, { ...BASE_HEADERS, 'Content-Type': 'image/svg+xml', 'Cache-Control': 'public, max-age=86400' });
      res.end(FAVICON);
      return;
    }
    if (method === 'GET' && path === '/healthz') {
      sendJson(res, 200, { ok: true });
      return;
    }
    if (path === '/api/dev-login') {
      if (method !== 'POST') throw new HttpError(405, 'Use POST.', 'METHOD_NOT_ALLOWED');
      // DEVELOPMENT ONLY: whoever types a name becomes that user. See dev-auth.ts.
      const body = await readJson(req);
      const displayName = normalizeDisplayName(body.displayName);
      if (!displayName) throw new HttpError(400, 'Give a display name of 1 to 40 characters.', 'INVALID');
      const userId = userIdForName(displayName);
      const [existing] = await chat.store.getUsers([userId]);
      // A returning user keeps the name they first chose (the id already matches case-insensitively).
      const user = existing ?? (await chat.upsertUser({ id: userId, displayName }));
      if (!existing) await welcomeNewUser(chat, userId, displayName).catch((e: unknown) => log(`[demo] welcome failed: ${String(e)}`));
      sendJson(res, 200, { token: auth.issue(userId), user, devOnly: true });
      return;
    }
    if (path === '/api/upload') {
      if (method !== 'POST') throw new HttpError(405, 'Use POST.', 'METHOD_NOT_ALLOWED');
      userOf(req);
      const mime = baseMime(req.headers['content-type']);
      if (!ALLOWED_MIME_TYPES.has(mime)) {
        req.resume();
        throw new HttpError(415, `Files of type "${mime || 'unknown'}" are not accepted. Images, PDF, text, audio and video are.`, 'UNSUPPORTED_MEDIA_TYPE');
      }
      const bytes = await readBody(req, maxUpload);
      if (bytes.length === 0) throw new HttpError(400, 'The file is empty.', 'INVALID');
      if (!matchesDeclaredType(mime, bytes)) throw new HttpError(415, `The file's content is not ${mime}.`, 'UNSUPPORTED_MEDIA_TYPE');
      const header = req.headers['x-file-name'];
      const name = cleanFileName(typeof header === 'string' ? header : undefined, 'file');
      const stored = await media.put({ name, mime, bytes });
      const dims = imageDimensions(mime, bytes);
      const attachment: Attachment = { url: stored.url, mime: stored.mime, size: stored.size, name: stored.name, ...(dims ?? {}) };
      sendJson(res, 201, { attachment });
      return;
    }
    if (method === 'GET' && path.startsWith('/media/')) {
      const file = await media.get(path.slice('/media/'.length));
      if (!file) throw new HttpError(404, 'No such file.', 'NOT_FOUND');
      const inline = INLINE_IMAGE_TYPES.has(file.mime);
      res.writeHead(200, {
        ...BASE_HEADERS,
        'Content-Type': file.mime,
        'Content-Length': file.bytes.byteLength,
        'Content-Disposition': `${inline ? 'inline' : 'attachment'}; filename="${asciiName(file.name)}"; filename*=UTF-8''${encodeURIComponent(file.name)}`,
        'Content-Security-Policy': "default-src 'none'; sandbox",
        'Cache-Control': 'private, max-age=31536000, immutable',
      });
      res.end(file.bytes);
      return;
    }
    throw new HttpError(404, 'Not found.', 'NOT_FOUND');
  };

  // half-sent requests (and upgrades) are dropped after 5 s; uploads get a minute
  const server = createServer({ headersTimeout: 5_000, requestTimeout: 60_000, connectionsCheckingInterval: 1_000 }, (req, res) => {
    routes(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof HttpError) {
        sendError(res, error);
        return;
      }
      const code = (error as { code?: unknown } | null)?.code;
      if (code === 'INVALID') {
        sendError(res, new HttpError(400, (error as Error).message, 'INVALID'));
        return;
      }
      log(`[demo] ${req.method} ${req.url?.split('?')[0]} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      sendError(res, new HttpError(500, 'Something went wrong on the server.', 'INTERNAL'));
    });
  });

  const ownOrigins = new Set<string>();
  const ws = await createWsServer({
    chat,
    server,
    path: WS_PATH,
    // The token arrives in the first frame (never in the URL); the signature is the proof.
    authenticate: ({ token }) => (token ? auth.verify(token) : null),
    origins: (origin: string) => ownOrigins.has(origin),
    logger: {
      debug() {},
      info() {},
      warn: (m) => log(`[ws] ${m}`),
      error: (m, f) => log(`[ws] ${m} ${f ? JSON.stringify(f) : ''}`),
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 3000, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  for (const h of [host, 'localhost', '127.0.0.1', '[::1]']) ownOrigins.add(`http://${h}:${port}`);
  // Build the page in the background so the first visit is quick.
  getAssets().catch((e: unknown) => log(`[demo] building the page failed: ${String(e)}`));

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    server,
    auth,
    push,
    async close() {
      await push?.stop();
      await ws.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function asciiName(name: string): string {
  return name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
}

const FAVICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="16" fill="#3b5bdb"/><path d="M18 20h28a6 6 0 0 1 6 6v12a6 6 0 0 1-6 6H30l-9 7v-7h-3a6 6 0 0 1-6-6V26a6 6 0 0 1 6-6z" fill="#fff"/></svg>`;
