import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Chat } from '@parley/core';
import { createWsServer, type AuthenticateHook, type Logger, type WsLimits, type WsServer, type WsServerOptions } from '@parley/transport-ws';

/** Log lines captured from the server's logger, as JSON text per line. */
export interface CapturedLog {
  logger: Logger;
  lines: string[];
}

/** A logger that records everything it is given (level, message, fields). */
export function captureLogger(): CapturedLog {
  const lines: string[] = [];
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    lines.push(JSON.stringify({ level, message, fields: fields ?? {} }, (_k, v: unknown) => (v instanceof Error ? { name: v.name, message: v.message, stack: v.stack } : v)));
  };
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

/** Options of {@link ServerHost}. */
export interface HostOptions {
  chat: Chat;
  limits?: Partial<WsLimits>;
  origins?: WsServerOptions['origins'];
  logger?: Logger;
  revalidate?: WsServerOptions['revalidate'];
  /** Replaces the token-map hook. */
  authenticate?: AuthenticateHook;
}

/**
 * A Parley WebSocket server on its own http.Server at 127.0.0.1, restartable on the same port.
 * Tokens are opaque strings mapped to users in {@link tokens}; deleting one revokes it.
 */
export class ServerHost {
  readonly tokens = new Map<string, string>();
  port = 0;
  http: Server | null = null;
  ws: WsServer | null = null;
  /** Server-side TCP sockets of accepted upgrades (what "the server drops a socket" cuts). */
  readonly sockets = new Set<Socket>();
  readonly #options: HostOptions;

  constructor(options: HostOptions) {
    this.#options = options;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}/parley`;
  }

  /** A token for `userId` (a fresh random one unless given). */
  token(userId: string, token = `t-${userId}-${Math.random().toString(36).slice(2)}`): string {
    this.tokens.set(token, userId);
    return token;
  }

  async start(): Promise<void> {
    const http = createServer();
    http.on('upgrade', (_req, socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    const o = this.#options;
    this.ws = await createWsServer({
      chat: o.chat,
      server: http,
      path: '/parley',
      origins: o.origins ?? '*',
      ...(o.logger ? { logger: o.logger } : {}),
      ...(o.revalidate ? { revalidate: o.revalidate } : {}),
      limits: { drainTimeoutMs: 300, closeTimeoutMs: 300, ...o.limits },
      authenticate: o.authenticate ?? (({ token }) => (token === undefined ? null : (this.tokens.get(token) ?? null))),
    });
    await new Promise<void>((resolve, reject) => {
      const retry = (attempt: number) => {
        http.once('error', (error: NodeJS.ErrnoException) => {
          if (error.code === 'EADDRINUSE' && attempt < 50) setTimeout(() => retry(attempt + 1), 50);
          else reject(error);
        });
        http.listen(this.port, '127.0.0.1', () => resolve());
      };
      retry(0);
    });
    this.port = (http.address() as AddressInfo).port;
    this.http = http;
  }

  /** Cut every server-side socket in `victims` without a close frame. */
  drop(victims: Iterable<Socket>): number {
    let n = 0;
    for (const s of victims) {
      s.destroy();
      n++;
    }
    return n;
  }

  /** Graceful close of the ws server (1001 to every client), then stop listening. */
  async stop(): Promise<void> {
    const ws = this.ws;
    const http = this.http;
    this.ws = null;
    this.http = null;
    await ws?.close();
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (http) {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }
}
