import { SUBPROTOCOL, type ErrorBody, type PushFrame } from '@parley/protocol';
import WebSocket from 'ws';

/** A reply as it came off the wire. */
export type Reply = { id: string | number | null; ok: true; result: unknown } | { id: string | number | null; ok: false; error: ErrorBody };

/** How a {@link WireSocket} authenticates. */
export interface WireOptions {
  /** Token sent in the first frame (`auth` op). Omit to send nothing. */
  token?: string;
  /** Extra upgrade headers (Origin...). */
  headers?: Record<string, string>;
  /** Subprotocols offered (default: parley.v1). */
  protocols?: string[];
}

/**
 * A bare protocol client over `ws`: no reconnects, no state, every frame recorded. What an
 * attacker (or another-language client) would write.
 */
export class WireSocket {
  readonly ws: WebSocket;
  readonly pushes: PushFrame[] = [];
  readonly replies: Reply[] = [];
  closeCode: number | null = null;
  closeReason = '';
  /** HTTP status when the upgrade was refused. */
  upgradeStatus: number | null = null;
  readonly closed: Promise<number>;
  readonly opened: Promise<boolean>;
  #next = 1;
  #waiters = new Map<string | number, (r: Reply) => void>();
  #listeners = new Set<() => void>();

  constructor(url: string, options: WireOptions = {}) {
    this.ws = new WebSocket(url, options.protocols ?? [SUBPROTOCOL], { headers: options.headers ?? {} });
    this.opened = new Promise((resolve) => {
      this.ws.once('open', () => resolve(true));
      this.ws.once('unexpected-response', (_req, res) => {
        this.upgradeStatus = res.statusCode ?? null;
        res.resume();
        resolve(false);
      });
      this.ws.once('error', () => resolve(false));
      this.ws.once('close', () => resolve(false));
    });
    this.closed = new Promise((resolve) => {
      this.ws.once('close', (code, reason) => {
        this.closeCode = code;
        this.closeReason = reason.toString();
        this.#notify();
        resolve(code);
      });
      this.ws.once('unexpected-response', () => resolve(-1));
    });
    this.ws.on('error', () => {});
    this.ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Record<string, unknown>;
      if ('ev' in frame) this.pushes.push(frame as unknown as PushFrame);
      else {
        const reply = frame as unknown as Reply;
        const waiter = reply.id === null ? undefined : this.#waiters.get(reply.id);
        if (waiter) {
          this.#waiters.delete(reply.id!);
          waiter(reply);
        } else this.replies.push(reply);
      }
      this.#notify();
    });
    if (options.token !== undefined) {
      const token = options.token;
      void this.opened.then((ok) => {
        if (ok) this.ws.send(JSON.stringify({ id: 'auth', op: 'auth', params: { token } }));
      });
    }
  }

  #notify(): void {
    for (const l of [...this.#listeners]) l();
  }

  /** Resolve when `check` returns a value other than undefined/false (or reject after the timeout). */
  until<T>(check: () => T | undefined | false, timeoutMs = 5000, what = 'condition'): Promise<T> {
    return new Promise((resolve, reject) => {
      const test = () => {
        const v = check();
        if (v !== undefined && v !== false) {
          cleanup();
          resolve(v);
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.#listeners.delete(listener);
      };
      const listener = () => void test();
      this.#listeners.add(listener);
      test();
    });
  }

  /** Wait for the `ready` push (after auth). */
  ready(timeoutMs = 5000): Promise<PushFrame> {
    return this.until(() => this.pushes.find((p) => p.ev === 'ready') ?? (this.closeCode !== null ? (() => { throw new Error(`closed ${this.closeCode} before ready`); })() : undefined), timeoutMs, 'ready');
  }

  /** Send a raw text frame. */
  sendRaw(data: string | Buffer): void {
    this.ws.send(data);
  }

  /** Send a request and wait for its reply (ok or not). */
  request(op: string, params?: unknown, timeoutMs = 5000): Promise<Reply> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(id);
        reject(new Error(`no reply to ${op} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.set(id, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      this.ws.send(JSON.stringify(params === undefined ? { id, op } : { id, op, params }));
    });
  }

  /** A request that must succeed; returns its result. */
  async ok<T = unknown>(op: string, params?: unknown): Promise<T> {
    const r = await this.request(op, params);
    if (!r.ok) throw new Error(`${op} failed: ${r.error.code} ${r.error.message}`);
    return r.result as T;
  }

  /** Round trip, so every push sent before it has arrived. */
  async flush(): Promise<void> {
    await this.request('ping', {});
  }

  close(): void {
    this.ws.close();
  }

  terminate(): void {
    this.ws.terminate();
  }
}

/** Open an authenticated socket (token in the first frame) and wait for `ready`. */
export async function connectAs(url: string, token: string, headers: Record<string, string> = {}): Promise<WireSocket> {
  const s = new WireSocket(url, { token, headers });
  await s.ready();
  return s;
}
