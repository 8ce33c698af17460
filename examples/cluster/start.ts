/**
 * Start a Parley cluster on this machine: migrations once, then N server processes on consecutive
 * ports, all sharing Postgres and Redis. Put any load balancer in front (no sticky sessions needed).
 *
 *   npx tsx --conditions=@parley/source examples/cluster/start.ts [--nodes 3] [--port 4001] [--lb 4000]
 *
 * `--lb` also starts a round-robin TCP balancer in front (clients connect to ws://127.0.0.1:4000/parley).
 *
 * Environment: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), PARLEY_PG_SCHEMA,
 * REDIS_URL (default redis://127.0.0.1:6379), PARLEY_CLUSTER_SECRET, PRESENCE_TTL_MS.
 * Stop with Ctrl+C.
 */
import { startBalancer } from './src/balancer.js';
import { startCluster } from './src/cluster.js';
import { DEFAULTS } from './src/config.js';

function arg(name: string, fallback: number): number {
  const args = process.argv.slice(2);
  const i = args.indexOf(`--${name}`);
  const value = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isInteger(value) || value < 0) throw new Error(`invalid --${name}`);
  return value;
}

const cluster = await startCluster({
  nodes: arg('nodes', 3),
  basePort: arg('port', 4001),
  databaseUrl: process.env.DATABASE_URL ?? DEFAULTS.databaseUrl,
  schema: process.env.PARLEY_PG_SCHEMA || undefined,
  redisUrl: process.env.REDIS_URL ?? DEFAULTS.redisUrl,
  secret: process.env.PARLEY_CLUSTER_SECRET ?? DEFAULTS.secret,
  presenceTtlMs: process.env.PRESENCE_TTL_MS ? Number(process.env.PRESENCE_TTL_MS) : undefined,
});
console.log(`Parley cluster: ${cluster.nodes.map((n) => n.url).join('  ')}`);
const lbPort = arg('lb', 4000);
const balancer = await startBalancer({ port: lbPort, backends: () => cluster.nodes.map((n) => n.port) });
console.log(`Balancer: ws://127.0.0.1:${balancer.port}/parley (round robin, no sticky sessions)`);
console.log('Tokens are `<userId>.<hmac>` signed with PARLEY_CLUSTER_SECRET (see src/auth.ts). Ctrl+C stops every node.');

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  void balancer
    .close()
    .then(() => cluster.stop())
    .finally(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
