import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';

const run = promisify(execFile);

/** A Redis Cluster of six local processes (three primaries, one replica each) made for one test file. */
export interface LocalCluster {
  ports: number[];
  /** A new cluster client; `sharded` turns on ioredis's per-shard subscribers (for SSUBSCRIBE). */
  client(options?: { sharded?: boolean; name?: string }): Cluster;
  /** A plain connection to one node. */
  node(port: number): Redis;
  /** The data directory (logs, node configs). */
  dir: string;
  /** The PID of the process on a port. */
  pids: Map<number, number>;
  /** Stop every process by its PID and remove the data directory. */
  stop(): Promise<void>;
}

/** Whether redis-server and redis-cli are installed; prints the reason when not (and fails in CI). */
export function probeClusterTools(what: string): boolean {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    execFileSync('redis-cli', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (error) {
    const reason = `redis-server/redis-cli not found (${error instanceof Error ? error.message : String(error)})`;
    if (process.env.CI === 'true') throw new Error(`${what}: ${reason}; CI needs them`);
    console.warn(`[skip] ${what}: ${reason}. Install Redis 7 (redis-server, redis-cli) to run the cluster tests.`);
    return false;
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Six ports P whose cluster bus ports P + 10000 are free too. */
async function freePorts(count: number): Promise<number[]> {
  const out: number[] = [];
  let port = 20000 + Math.floor(Math.random() * 20000);
  while (out.length < count) {
    port++;
    if (port > 45000) port = 20000;
    if ((await portFree(port)) && (await portFree(port + 10000))) out.push(port);
  }
  return out;
}

async function until(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check().catch(() => false))) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Start six `redis-server --cluster-enabled yes` processes and join them with `redis-cli --cluster create`. */
export async function startCluster(): Promise<LocalCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-redis-cluster-'));
  const ports = await freePorts(6);
  const pids = new Map<number, number>();
  const stop = async () => {
    for (const pid of pids.values()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone (a test killed it)
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) {
      await run('redis-server', [
        '--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`,
        '--cluster-node-timeout', '2000', '--save', '', '--appendonly', 'no', '--daemonize', 'yes', '--dir', dir,
        '--pidfile', join(dir, `redis-${port}.pid`), '--logfile', join(dir, `redis-${port}.log`),
      ]);
    }
    for (const port of ports) {
      await until(async () => (await run('redis-cli', ['-p', String(port), 'ping'])).stdout.trim() === 'PONG', 5000, `redis on ${port}`);
      const info = (await run('redis-cli', ['-p', String(port), 'info', 'server'])).stdout;
      const pid = Number(/process_id:(\d+)/.exec(info)?.[1]);
      if (!pid) throw new Error(`no process_id for redis on ${port}`);
      pids.set(port, pid);
    }
    await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '1', '--cluster-yes']);
    for (const port of ports) {
      await until(async () => (await run('redis-cli', ['-p', String(port), 'cluster', 'info'])).stdout.includes('cluster_state:ok'), 15000, `cluster state ok on ${port}`);
    }
    // a replica that has not synced yet cannot take over: wait for every replica's link
    for (const port of ports) {
      await until(async () => {
        const info = (await run('redis-cli', ['-p', String(port), 'info', 'replication'])).stdout;
        return info.includes('role:master') || info.includes('master_link_status:up');
      }, 15000, `replica on ${port} in sync`);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    dir,
    ports,
    pids,
    client({ sharded = false, name } = {}) {
      const c = new Cluster(ports.map((port) => ({ host: '127.0.0.1', port })), { shardedSubscribers: sharded, redisOptions: { connectionName: name } });
      c.on('error', () => {});
      return c;
    },
    node(port) {
      const c = new Redis({ host: '127.0.0.1', port });
      c.on('error', () => {});
      return c;
    },
    stop,
  };
}
