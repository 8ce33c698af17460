/** Settings of one cluster node, from the environment. */
export interface NodeConfig {
  /** Name of this node in logs and presence entries. */
  nodeId: string;
  /** WebSocket port (0: any free port, reported on stdout). */
  port: number;
  /** Interface to listen on. */
  host: string;
  /** Postgres connection string. */
  databaseUrl: string;
  /** Postgres schema of Parley's tables (undefined: the search_path). */
  schema: string | undefined;
  /** Redis URL (a single Redis). */
  redisUrl: string;
  /**
   * Redis Cluster seed nodes (`host:port`), from `REDIS_CLUSTER_NODES=127.0.0.1:7000,127.0.0.1:7001`.
   * When set, the node uses the cluster (sharded pub/sub) instead of `redisUrl`.
   */
  redisClusterNodes: { host: string; port: number }[] | undefined;
  /** Prefix of Redis channels and keys, so several clusters can share one Redis. */
  redisPrefix: string;
  /** Presence TTL: a killed node's users go offline this long after its last heartbeat. */
  presenceTtlMs: number;
  /** Secret shared by every node to verify client tokens. */
  secret: string;
  /** Run migrations at start (the start script runs them once instead). */
  migrate: boolean;
}

/** Defaults that work with the local services (`docs/scaling.md`). */
export const DEFAULTS = {
  databaseUrl: 'postgres://postgres@127.0.0.1:5432/test',
  redisUrl: 'redis://127.0.0.1:6379',
  redisPrefix: 'parley:',
  presenceTtlMs: 15_000,
  secret: 'dev-only-cluster-secret',
} as const;

/** Read a node's configuration from `env`. */
export function configFromEnv(env: NodeJS.ProcessEnv): NodeConfig {
  const port = Number(env.PORT ?? '0');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid PORT ${JSON.stringify(env.PORT)}`);
  return {
    nodeId: env.NODE_ID ?? `node-${process.pid}`,
    port,
    host: env.HOST ?? '127.0.0.1',
    databaseUrl: env.DATABASE_URL ?? DEFAULTS.databaseUrl,
    schema: env.PARLEY_PG_SCHEMA || undefined,
    redisUrl: env.REDIS_URL ?? DEFAULTS.redisUrl,
    redisClusterNodes: env.REDIS_CLUSTER_NODES ? env.REDIS_CLUSTER_NODES.split(',').map(parseHostPort) : undefined,
    redisPrefix: env.PARLEY_REDIS_PREFIX ?? DEFAULTS.redisPrefix,
    presenceTtlMs: Number(env.PRESENCE_TTL_MS ?? DEFAULTS.presenceTtlMs),
    secret: env.PARLEY_CLUSTER_SECRET ?? DEFAULTS.secret,
    migrate: env.PARLEY_MIGRATE !== '0',
  };
}

function parseHostPort(entry: string): { host: string; port: number } {
  const match = /^(.+):(\d+)$/.exec(entry.trim());
  if (!match) throw new Error(`invalid REDIS_CLUSTER_NODES entry ${JSON.stringify(entry)} (expected host:port)`);
  return { host: match[1]!, port: Number(match[2]) };
}
