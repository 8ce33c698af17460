import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 whose server-to-client direction is a slow link: at most
 * `bytesPerSecond`, with TCP backpressure on the server (it stops reading from the server while its
 * small queue is full), so the server sees what it sees behind a real slow link: its socket stops
 * draining. Client-to-server is forwarded at once.
 */
export class ThrottleProxy {
  readonly #target: () => number;
  readonly #rate: number;
  readonly #sockets = new Set<Socket>();
  readonly #timers = new Set<ReturnType<typeof setInterval>>();
  #server: Server | null = null;
  port = 0;
  /** Bytes delivered to clients. */
  delivered = 0;

  constructor(options: { target: () => number; bytesPerSecond: number }) {
    this.#target = options.target;
    this.#rate = options.bytesPerSecond;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}/parley`;
  }

  async start(): Promise<void> {
    this.#server = createServer((client) => this.#accept(client));
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.#server.address() as AddressInfo).port;
  }

  #accept(client: Socket): void {
    const upstream = connect(this.#target(), '127.0.0.1');
    this.#sockets.add(client).add(upstream);
    const queue: Buffer[] = [];
    let queued = 0;
    const tickMs = 10;
    const perTick = Math.max(1, Math.floor((this.#rate * tickMs) / 1000));
    const high = Math.max(16 * 1024, perTick * 4);
    upstream.on('data', (chunk: Buffer) => {
      queue.push(chunk);
      queued += chunk.length;
      if (queued > high) upstream.pause();
    });
    const timer = setInterval(() => {
      let budget = perTick;
      while (budget > 0 && queue.length > 0) {
        const head = queue[0]!;
        const part = head.length <= budget ? head : head.subarray(0, budget);
        if (part.length === head.length) queue.shift();
        else queue[0] = head.subarray(budget);
        budget -= part.length;
        queued -= part.length;
        this.delivered += part.length;
        if (!client.destroyed) client.write(part);
      }
      if (queued <= high / 2 && upstream.isPaused()) upstream.resume();
      if (upstream.destroyed && queue.length === 0 && !client.destroyed) client.end();
    }, tickMs);
    this.#timers.add(timer);
    client.on('data', (chunk: Buffer) => upstream.write(chunk));
    const done = () => {
      clearInterval(timer);
      this.#timers.delete(timer);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', done);
    client.on('error', done);
    upstream.on('error', done);
    upstream.on('close', () => {
      if (queue.length === 0) done();
    });
  }

  async stop(): Promise<void> {
    for (const t of this.#timers) clearInterval(t);
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}
