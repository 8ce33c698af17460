import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../src/migrations.js';
import { createPostgresStore } from '../src/postgres-store.js';
import { messageDraft, seedConversation } from './support/drafts.js';
import { dropSchema, randomSchema, serverAvailable, serverDb } from './support/server.js';

const available = await serverAvailable();

/** Retry like a client does after a dropped connection (the pool may hand out the dead client once). */
async function retried<T>(operation: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (attempt >= 10 || (error as { name?: string }).name === 'ChatError') throw error;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

describe.skipIf(!available)('faults on a Postgres server', () => {
  const schema = randomSchema();
  // one connection: the store's backend is the one we kill
  const { db, pool } = serverDb(1);
  const admin = serverDb(3);
  const store = createPostgresStore({ db, schema });

  beforeAll(() => migrate({ db, schema }));
  afterAll(async () => {
    await dropSchema(admin.db, schema);
    await db.destroy();
    await admin.db.destroy();
  });

  it('a send whose backend is killed mid-statement fails, leaves nothing, and its retry yields exactly one message', async () => {
    const cid = await seedConversation(store, { users: ['a', 'b'] });
    const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db);
    const pid = rows[0]!.pid;
    // hold the conversation row so the send blocks inside its statement, then kill its backend
    const blocker = await admin.pool.connect();
    await blocker.query('begin');
    await blocker.query(`select 1 from "${schema}".conversations where id = $1 for update`, [cid]);
    const draft = messageDraft({ conversationId: cid, senderId: 'a', clientId: randomUUID(), text: 'kept once' });
    const sending = store.append({ draft, requireActiveMember: 'a' }).then(
      () => null,
      (error: unknown) => error,
    );
    for (let i = 0; i < 100; i++) {
      const waiting = await blocker.query('select 1 from pg_stat_activity where pid = $1 and wait_event_type = $2', [pid, 'Lock']);
      if (waiting.rows.length > 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await admin.pool.query('select pg_terminate_backend($1)', [pid]);
    expect(await sending).toBeInstanceOf(Error);
    await blocker.query('rollback');
    blocker.release();
    expect((await retried(() => store.getConversation(cid)))!.lastSeq).toBe(1);

    const first = await retried(() => store.append({ draft, requireActiveMember: 'a' }));
    const retry = await store.append({ draft, requireActiveMember: 'a' });
    expect(first.duplicate).toBe(false);
    expect(retry.duplicate).toBe(true);
    expect(retry.event.seq).toBe(first.event.seq);
    const events = await store.events({ conversationId: cid, limit: 10, timelineOnly: false });
    expect(events.filter((e) => e.type === 'message')).toHaveLength(1);
    expect(pool.totalCount).toBeLessThanOrEqual(1);
  });

  it('a send killed after it committed is deduplicated when retried', async () => {
    const cid = await seedConversation(store, { users: ['a', 'b'] });
    const draft = messageDraft({ conversationId: cid, senderId: 'a', clientId: randomUUID() });
    const sent = await store.append({ draft });
    // the connection dies before the client saw the answer; the client retries
    const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db);
    await admin.pool.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
    const again = await retried(() => store.append({ draft }));
    expect(again.duplicate).toBe(true);
    expect(again.event).toEqual(sent.event);
  });
});
