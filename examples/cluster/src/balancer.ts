import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/** Options of {@link startBalancer}. */
export interface BalancerOptions {
  /** The backend ports on 127.0.0.1, asked on every new connection (so restarted nodes are picked up). */
  backends: () => number[];
  /** Port to listen on (0: any). */
  port?: number;
}

/** A running balancer. */
export interface Balancer {
  /** The port it listens on. */
  port: number;
  /** How many connections went to each backend port. */
  readonly routed: Map<number, number>;
  close(): Promise<void>;
}

/**
 * A round-robin TCP load balancer for the example and its tests, standing in for nginx, HAProxy or
 * a cloud load balancer. No stickiness: each new connection goes to the next backend that accepts it
 * (a dead one is skipped), which is all Parley needs since any node can resume any client.
 */
export function startBalancer(options: BalancerOptions): Promise<Balancer> {
  let next = 0;
  const routed = new Map<number, number>();
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    open.add(client);
    client.on('close', () => open.delete(client));
    client.on('error', () => client.destroy());
    client.pause();
    const ports = options.backends();
    const attempt = (tries: number) => {
      if (tries >= ports.length || client.destroyed) return void client.destroy();
      const port = ports[next++ % ports.length]!;
      const upstream = connect({ host: '127.0.0.1', port });
      let connected = false;
      upstream.once('connect', () => {
        connected = true;
        routed.set(port, (routed.get(port) ?? 0) + 1);
        open.add(upstream);
        upstream.on('close', () => {
          open.delete(upstream);
          client.destroy();
        });
        client.on('close', () => upstream.destroy());
        upstream.on('error', () => upstream.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
      upstream.once('error', () => {
        if (!connected) attempt(tries + 1); // refused: that node is down, try the next one
      });
    };
    attempt(0);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      resolve({
        port: (server.address() as AddressInfo).port,
        routed,
        close: () =>
          new Promise<void>((done) => {
            for (const s of open) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
