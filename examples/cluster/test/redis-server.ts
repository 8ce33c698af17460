import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/** A Redis the restart test may stop and start. */
export interface RestartableRedis {
  url: string;
  /** What it is, for the test title and logs. */
  describe: string;
  /** `SHUTDOWN NOSAVE`, then start it again after `downMs`; resolves once it answers PING. */
  restart(downMs: number): Promise<void>;
  /** Make sure it is up (the shared one) or gone (a private one). Never throws. */
  dispose(): Promise<void>;
}

/** The command that starts the shared service (from the environment notes of this machine). */
const SHARED_START = ['--daemonize', 'yes', '--bind', '127.0.0.1', '-::1', '--port', '6379', '--save', '', '--appendonly', 'no', '--dir', '/var/lib/redis', '--logfile', '/var/log/redis/ci.log'];

export function hasRedisServer(): boolean {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function ping(url: string): Promise<boolean> {
  const c = new Redis(url, { lazyConnect: true, connectTimeout: 500, maxRetriesPerRequest: 0, retryStrategy: () => null });
  c.on('error', () => {});
  try {
    await c.connect();
    return (await c.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    c.disconnect();
  }
}

async function waitFor(url: string, up: boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while ((await ping(url)) !== up) {
    if (Date.now() > end) throw new Error(`Redis at ${url} did not come ${up ? 'up' : 'down'} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function shutdown(port: number): void {
  try {
    execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'shutdown', 'nosave'], { stdio: 'ignore', timeout: 5000 });
  } catch {
    // the connection drops as the server exits; that is the point
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** The shared service on 6379: restarted with the machine's documented command, and always left running. */
export function sharedRedis(): RestartableRedis {
  const url = 'redis://127.0.0.1:6379';
  const start = () => execFileSync('redis-server', SHARED_START, { stdio: 'ignore', timeout: 10_000 });
  return {
    url,
    describe: 'the shared Redis service on 6379',
    async restart(downMs) {
      shutdown(6379);
      await waitFor(url, false, 5000);
      await new Promise((r) => setTimeout(r, downMs));
      start();
      await waitFor(url, true, 10_000);
    },
    async dispose() {
      if (await ping(url)) return;
      try {
        start();
        await waitFor(url, true, 10_000);
      } catch (error) {
        console.error(`[cluster] could not bring the shared Redis back: ${String(error)}`);
      }
    },
  };
}

/** A private redis-server on a free port (nothing on disk), which only this test uses. */
export async function privateRedis(): Promise<RestartableRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'parley-redis-'));
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
    await waitFor(url, true, 10_000);
  };
  await start();
  return {
    url,
    describe: `a private redis-server on ${port}`,
    async restart(downMs) {
      shutdown(port);
      await waitFor(url, false, 5000);
      await new Promise((r) => setTimeout(r, downMs));
      await start();
    },
    async dispose() {
      const c = child as ChildProcess | null;
      if (c && c.exitCode === null && c.signalCode === null) {
        c.kill('SIGTERM');
        await new Promise((r) => c.once('exit', r));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
