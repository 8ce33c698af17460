import { randomUUID } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';

/** The Redis the tests use: `REDIS_URL`, default the local service on 127.0.0.1:6379. */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * Whether Redis answers. When it does not: in CI (`CI=true`) the tests fail, elsewhere they are
 * skipped with the reason printed.
 */
export async function probeRedis(what: string): Promise<boolean> {
  const client = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
    return true;
  } catch (error) {
    const reason = `Redis is not reachable at ${REDIS_URL} (${error instanceof Error ? error.message : String(error)})`;
    if (process.env.CI === 'true') throw new Error(`${what}: ${reason}; CI needs it`);
    console.warn(`[skip] ${what}: ${reason}. Start one with: redis-server --port 6379 (or set REDIS_URL).`);
    return false;
  } finally {
    client.disconnect();
  }
}

/** A fresh client; `name` shows in CLIENT LIST so a test can kill exactly this connection. */
export function client(name?: string, extra: RedisOptions = {}): Redis {
  const c = new Redis(REDIS_URL, { connectionName: name, ...extra });
  c.on('error', () => {});
  return c;
}

/** A key/channel prefix of its own per test, so parallel runs on the shared Redis never meet. */
export function uniquePrefix(): string {
  return `parley-test:${randomUUID().slice(0, 8)}:`;
}

/** Kill the connections with this client name (and only those). Returns how many. */
export async function killByName(admin: Redis, name: string): Promise<number> {
  const list = (await admin.client('LIST')) as string;
  const ids = list
    .split('\n')
    .filter((line) => line.includes(` name=${name} `))
    .map((line) => /id=(\d+)/.exec(line)?.[1])
    .filter((id): id is string => id !== undefined);
  for (const id of ids) await admin.client('KILL', 'ID', id);
  return ids.length;
}

/** Wait until `check` holds, polling; fails after `ms`. */
export async function until(check: () => boolean | Promise<boolean>, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
