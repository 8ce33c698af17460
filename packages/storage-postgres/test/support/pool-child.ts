// A small chat server process for connect.test.ts: it sends messages continuously through a
// Postgres store and prints one JSON line per outcome. Mode `helper` connects with
// createPostgresDb; mode `plain` with a bare pg.Pool, the setup the docs used to show.
// Usage: node --conditions=@parley/source --import tsx pool-child.ts <url> <helper|plain> <durationMs>
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { createChat, isChatError } from '@parley/core';
import { createPostgresDb } from '../../src/connect.js';
import { createPostgresStore } from '../../src/postgres-store.js';
import { migrate } from '../../src/migrations.js';

const [url, mode, duration] = process.argv.slice(2);
if (!url || (mode !== 'helper' && mode !== 'plain')) throw new Error('usage: pool-child.ts <url> <helper|plain> <durationMs>');
const out = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);

let db: Kysely<unknown>;
let close: () => Promise<void>;
if (mode === 'helper') {
  const postgres = createPostgresDb({ pg, url, max: 4, onError: (e) => out({ t: 'pool-error', code: (e as { code?: string }).code ?? null }) });
  db = postgres.db;
  close = postgres.close;
} else {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
  close = () => db.destroy();
}

await migrate({ db });
const chat = createChat({ store: createPostgresStore({ db }) });
for (const id of ['a', 'b']) await chat.upsertUser({ id, displayName: id });
const dm = await chat.as('a').openDirect({ userId: 'b' });
out({ t: 'ready', pid: process.pid });

const until = Date.now() + Number(duration ?? 10_000);
let n = 0;
async function sender(lane: number) {
  while (Date.now() < until) {
    const clientId = `${lane}-${n++}`;
    try {
      await chat.as('a').send({ conversationId: dm.id, clientId, text: clientId });
      out({ t: 'ok', at: Date.now() });
    } catch (error) {
      out({ t: 'fail', at: Date.now(), code: isChatError(error) ? error.code : String(error) });
    }
    await new Promise((r) => setTimeout(r, 15)); // leave clients idle in the pool between sends
  }
}
await Promise.all([sender(0), sender(1), sender(2)]);
await chat.close();
await close();
out({ t: 'done' });
