/**
 * One cluster node as a process. Configuration from the environment (see `config.ts`):
 * `PORT`, `NODE_ID`, `DATABASE_URL`, `PARLEY_PG_SCHEMA`, `REDIS_URL`, `PARLEY_REDIS_PREFIX`,
 * `PRESENCE_TTL_MS`, `PARLEY_CLUSTER_SECRET`, `PARLEY_MIGRATE=0`, `PARLEY_EXIT_WITH_PARENT=1`,
 * `PARLEY_MIGRATE_ONLY=1` (apply migrations and exit).
 *
 * Prints one line `{"ready":true,"nodeId":…,"port":…}` on stdout once it accepts connections.
 */
import { configFromEnv } from './config.js';
import { migrateDatabase, startNode } from './node.js';

const config = configFromEnv(process.env);
if (process.env.PARLEY_MIGRATE_ONLY === '1') {
  await migrateDatabase(config);
  process.exit(0);
}
const node = await startNode(config);
process.stdout.write(`${JSON.stringify({ ready: true, nodeId: config.nodeId, port: node.port, pid: process.pid })}\n`);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  const force = setTimeout(() => process.exit(1), 8000);
  force.unref();
  node.close().finally(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
if (process.env.PARLEY_EXIT_WITH_PARENT === '1') {
  // started by start.ts: when the launcher goes away (even killed), its pipe closes and we stop too
  process.stdin.on('end', stop);
  process.stdin.resume();
}
