import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../src/migrations.js';
import { createPostgresStore } from '../src/postgres-store.js';
import { messageDraft, seedConversation } from './support/drafts.js';
import { openPGlite } from './support/pglite.js';

describe('PGlite dialect', () => {
  let opened: Awaited<ReturnType<typeof openPGlite>>;
  beforeAll(async () => {
    opened = await openPGlite();
    await sql`create table t (id int primary key, v text)`.execute(opened.db);
  });
  afterAll(async () => {
    await opened.db.destroy();
    await opened.pglite.close();
  });

  it('serialises transactions: the writes of one that throws are never committed', async () => {
    const { db } = opened;
    const failing = db.transaction().execute(async (trx) => {
      await sql`insert into t values (1, 'from the failing transaction')`.execute(trx);
      await new Promise((r) => setTimeout(r, 30)); // let the other transaction try to run
      throw new Error('boom');
    });
    const passing = db.transaction().execute(async (trx) => {
      await sql`insert into t values (2, 'committed')`.execute(trx);
    });
    const lone = sql`insert into t values (3, 'autocommit')`.execute(db);
    await expect(failing).rejects.toThrow('boom');
    await passing;
    await lone;
    const rows = (await sql<{ id: number }>`select id from t order by id`.execute(db)).rows;
    expect(rows.map((r) => r.id)).toEqual([2, 3]);
  });

  it('reports affected rows', async () => {
    const result = await sql`update t set v = 'x'`.execute(opened.db);
    expect(result.numAffectedRows).toBe(2n);
  });
});

describe('PGlite persistence', () => {
  it('keeps data in a directory across close and reopen', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-pglite-'));
    try {
      const first = await openPGlite(dir);
      await migrate({ db: first.db });
      const store = createPostgresStore({ db: first.db });
      const cid = await seedConversation(store, { users: ['a', 'b'] });
      await store.append({ draft: messageDraft({ conversationId: cid, senderId: 'a', text: 'still here' }) });
      await first.db.destroy();
      await first.pglite.close();

      const second = await openPGlite(dir);
      try {
        await migrate({ db: second.db }); // nothing to do, and harmless
        const reopened = createPostgresStore({ db: second.db });
        const events = await reopened.events({ conversationId: cid, limit: 10, timelineOnly: false });
        expect(events.map((e) => e.type)).toEqual(['conversation.created', 'message']);
        expect(events[1]!.type === 'message' && events[1]!.message.text).toBe('still here');
        expect((await reopened.search({ userId: 'b', query: 'still', limit: 5 })).length).toBe(1);
      } finally {
        await second.db.destroy();
        await second.pglite.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
