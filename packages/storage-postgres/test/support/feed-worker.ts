// A change-feed consumer in a process of its own, for the crash and takeover tests
// (feed-processes.test.ts). Usage: feed-worker.ts <url> <schema> <consumer> <holder> <log file>.
// Appends "<holder> <conversationId> <seq>" to the log file for every event it handles (slowly,
// so the test can kill it mid-batch), prints JSON lines {"t":"leased"} when it holds the lease.
import { appendFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { createChat, createFeed } from '@parley/core';
import { Kysely, PostgresDialect } from 'kysely';
import { createPostgresStore } from '../../src/postgres-store.js';
import { createPool } from './pg.js';

const [url, schema, consumer, holder, logFile] = process.argv.slice(2) as [string, string, string, string, string];
const pool = createPool({ connectionString: url, max: 4 });
pool.on('error', () => {});
const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
const chat = createChat({ store: createPostgresStore({ db, schema }) });
const feed = createFeed({
  chat,
  name: consumer,
  lease: { ttlMs: 1500, holder },
  pollMs: 50,
  batchSize: 10,
  concurrency: 2,
  async handle({ conversationId, events }) {
    for (const e of events) {
      appendFileSync(logFile, `${holder} ${conversationId} ${e.seq}\n`);
      await sleep(2);
    }
  },
  onError: (error) => console.error(String(error)),
});
feed.start();
let announced = false;
setInterval(() => {
  if (feed.leased && !announced) {
    announced = true;
    console.log(JSON.stringify({ t: 'leased', holder, at: Date.now() }));
  }
}, 10);
