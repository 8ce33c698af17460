import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/** Options of {@link DelayProxy}. */
export interface DelayProxyOptions {
  /** Port of the real server on 127.0.0.1 (read at each new connection, so it may change). */
  target: () => number;
  /** Random source in [0, 1) (seeded by the caller so a run can be replayed). */
  random: () => number;
  /** Largest per-connection base latency in ms. */
  maxLatencyMs: number;
  /** Largest extra random delay per chunk in ms. */
  maxJitterMs: number;
}

interface Pipe {
  client: Socket;
  upstream: Socket;
  /** Until when delivery in each direction is held back (stalls). */
  stalledUntil: number;
}

/**
 * A TCP proxy on 127.0.0.1 that delays every chunk by a per-connection latency plus jitter,
 * and can stall single connections. Order within a connection is kept (TCP): a chunk is never
 * delivered before the one ahead of it, so delays bunch frames together and spread them apart.
 */
export class DelayProxy {
  readonly #options: DelayProxyOptions;
  readonly #pipes = new Set<Pipe>();
  #server: Server | null = null;
  port = 0;
  /** Chunks forwarded and the total delay added (for the report). */
  stats = { connections: 0, chunks: 0, delayMs: 0, stalls: 0 };

  constructor(options: DelayProxyOptions) {
    this.#options = options;
  }

  async start(): Promise<void> {
    this.#server = createServer((client) => this.#accept(client));
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.#server.address() as AddressInfo).port;
  }

  #accept(client: Socket): void {
    const o = this.#options;
    const upstream = connect(o.target(), '127.0.0.1');
    const pipe: Pipe = { client, upstream, stalledUntil: 0 };
    this.#pipes.add(pipe);
    this.stats.connections++;
    const latency = o.random() * o.maxLatencyMs;
    const forward = (from: Socket, to: Socket) => {
      let last = 0;
      from.on('data', (chunk) => {
        const now = Date.now();
        const at = Math.max(last, now + latency + o.random() * o.maxJitterMs, pipe.stalledUntil);
        last = at;
        this.stats.chunks++;
        this.stats.delayMs += at - now;
        setTimeout(() => {
          if (!to.destroyed) to.write(chunk);
        }, at - now);
      });
      // an end/close is delivered after the data ahead of it
      const finish = () => {
        const wait = Math.max(0, last - Date.now()) + 1;
        setTimeout(() => to.destroy(), wait);
      };
      from.on('end', finish);
      from.on('close', finish);
      from.on('error', () => {});
    };
    forward(client, upstream);
    forward(upstream, client);
    client.once('close', () => this.#pipes.delete(pipe));
  }

  /** Hold back delivery on `count` random connections for up to `maxMs`. */
  stall(count: number, maxMs: number): void {
    const pipes = [...this.#pipes];
    for (let i = 0; i < count && pipes.length > 0; i++) {
      const p = pipes.splice(Math.floor(this.#options.random() * pipes.length), 1)[0]!;
      p.stalledUntil = Date.now() + this.#options.random() * maxMs;
      this.stats.stalls++;
    }
  }

  async stop(): Promise<void> {
    for (const p of this.#pipes) {
      p.client.destroy();
      p.upstream.destroy();
    }
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}
