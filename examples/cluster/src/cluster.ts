import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DEFAULTS } from './config.js';

/** Options of {@link startCluster}. */
export interface ClusterOptions {
  /** How many node processes. Default 3. */
  nodes?: number;
  /** Port of the first node; the others follow. 0 (default): each node picks a free port. */
  basePort?: number;
  databaseUrl?: string;
  /** Postgres schema for Parley's tables. Default: the search_path. */
  schema?: string;
  redisUrl?: string;
  redisPrefix?: string;
  presenceTtlMs?: number;
  secret?: string;
  /** Where the nodes' stderr and lifecycle lines go. Default: stderr. */
  log?: (line: string) => void;
}

/** One node process. */
export interface NodeProcess {
  readonly nodeId: string;
  /** `ws://127.0.0.1:<port>/parley` */
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** Resolves with the exit code (or signal) when the process is gone. */
  readonly exited: Promise<string>;
}

/** A set of node processes sharing one Postgres and one Redis. */
export interface Cluster {
  /** The nodes, by index; a restarted node replaces its entry. */
  readonly nodes: NodeProcess[];
  /** Send a signal (default SIGKILL) to node `i` and wait until it is gone. */
  kill(i: number, signal?: NodeJS.Signals): Promise<void>;
  /** Start node `i` again (same id and port when the port was fixed). */
  restart(i: number): Promise<NodeProcess>;
  /** SIGTERM every node and wait for them. */
  stop(): Promise<void>;
}

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const CWD = fileURLToPath(new URL('..', import.meta.url));

/**
 * Apply Parley's migrations once, in a child process (nodes then start with `PARLEY_MIGRATE=0`).
 * A child keeps pg out of the caller's process (test runners load pg with other export conditions).
 */
export async function migrateOnce(databaseUrl: string, schema: string | undefined): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@parley/source', MAIN], {
    cwd: CWD,
    env: { ...process.env, DATABASE_URL: databaseUrl, PARLEY_PG_SCHEMA: schema ?? '', PARLEY_MIGRATE_ONLY: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`migrations failed (exit ${code}): ${stderr.slice(-2000)}`);
}

/**
 * Run migrations, then start `nodes` server processes and wait until each accepts connections.
 * Each node is `src/main.ts` run by tsx from source.
 */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const count = options.nodes ?? 3;
  const databaseUrl = options.databaseUrl ?? DEFAULTS.databaseUrl;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  await migrateOnce(databaseUrl, options.schema);
  const env = (i: number): NodeJS.ProcessEnv => ({
    ...process.env,
    NODE_ID: `node-${i + 1}`,
    PORT: String(options.basePort ? options.basePort + i : 0),
    DATABASE_URL: databaseUrl,
    PARLEY_PG_SCHEMA: options.schema ?? '',
    REDIS_URL: options.redisUrl ?? DEFAULTS.redisUrl,
    PARLEY_REDIS_PREFIX: options.redisPrefix ?? DEFAULTS.redisPrefix,
    PRESENCE_TTL_MS: String(options.presenceTtlMs ?? DEFAULTS.presenceTtlMs),
    PARLEY_CLUSTER_SECRET: options.secret ?? DEFAULTS.secret,
    PARLEY_MIGRATE: '0',
    PARLEY_EXIT_WITH_PARENT: '1',
  });
  const ports: number[] = [];

  const launch = (i: number): Promise<NodeProcess> => {
    const e = env(i);
    if (ports[i] !== undefined) e.PORT = String(ports[i]);
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@parley/source', MAIN], { cwd: CWD, env: e, stdio: ['pipe', 'pipe', 'pipe'] });
    const nodeId = e.NODE_ID!;
    const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? String(code))));
    createInterface({ input: child.stderr! }).on('line', (line) => log(`[${nodeId}] ${line}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${nodeId} did not start within 30 s`)), 30_000);
      void exited.then((how) => {
        clearTimeout(timer);
        reject(new Error(`${nodeId} exited (${how}) before it was ready`));
      });
      createInterface({ input: child.stdout! }).on('line', (line) => {
        let ready: { ready?: boolean; port?: number } = {};
        try {
          ready = JSON.parse(line) as typeof ready;
        } catch {
          log(`[${nodeId}] ${line}`);
          return;
        }
        if (!ready.ready || ready.port === undefined) return;
        clearTimeout(timer);
        ports[i] = ready.port;
        log(`[${nodeId}] ready on ws://127.0.0.1:${ready.port}/parley (pid ${child.pid})`);
        resolve({ nodeId, port: ready.port, url: `ws://127.0.0.1:${ready.port}/parley`, child, exited });
      });
    });
  };

  const nodes = await Promise.all(Array.from({ length: count }, (_, i) => launch(i)));
  const kill = async (i: number, signal: NodeJS.Signals = 'SIGKILL') => {
    const node = nodes[i];
    if (!node || node.child.exitCode !== null || node.child.signalCode !== null) return;
    node.child.kill(signal);
    await node.exited;
  };
  return {
    nodes,
    kill,
    async restart(i) {
      await kill(i);
      const node = await launch(i);
      nodes[i] = node;
      return node;
    },
    async stop() {
      await Promise.all(nodes.map((_, i) => kill(i, 'SIGTERM')));
    },
  };
}
