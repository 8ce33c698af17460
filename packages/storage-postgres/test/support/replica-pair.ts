import { Kysely, PostgresDialect, sql } from 'kysely';
import type pg from 'pg';
import { PrivatePostgres } from '../../../../tests/support/private-postgres.js';
import { createPool } from './pg.js';

/** A kysely instance that counts the statements it ran on the store's tables. */
export interface CountingDb {
  db: Kysely<unknown>;
  pool: pg.Pool;
  /** Statements run on the store's tables (not the position checks). */
  reads(): number;
}

const STORE_TABLE = /"(events|conversations|members|users|contacts|hidden|calls)"/;

function countingDb(url: string, max: number): CountingDb {
  // a replica that is down must fail fast, so the primary answers at once
  const pool = createPool({ connectionString: url, max, connectionTimeoutMillis: 2000 });
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  let reads = 0;
  const db = new Kysely<unknown>({
    dialect: new PostgresDialect({ pool }),
    log: (event) => {
      if (event.level === 'query' && STORE_TABLE.test(event.query.sql)) reads += 1;
    },
  });
  return { db, pool, reads: () => reads };
}

/**
 * A private primary and its streaming replica (initdb, `pg_basebackup -R`, spare ports), made for
 * one test file and removed by {@link destroy}. Null (skipped, reason printed) without the server
 * binaries; with CI=true that throws instead.
 */
export class ReplicaPair {
  readonly primary: CountingDb;
  readonly replica: CountingDb;
  readonly #servers: { primary: PrivatePostgres; standby: PrivatePostgres };

  private constructor(primary: PrivatePostgres, standby: PrivatePostgres) {
    this.#servers = { primary, standby };
    this.primary = countingDb(primary.url, 20);
    this.replica = countingDb(standby.url, 20);
  }

  static async start(what: string): Promise<ReplicaPair | null> {
    const primary = await PrivatePostgres.create(what);
    if (primary === null) return null;
    let standby: PrivatePostgres | undefined;
    try {
      await primary.start();
      standby = await primary.replica();
      await standby.start();
      return new ReplicaPair(primary, standby);
    } catch (error) {
      await standby?.destroy();
      await primary.destroy();
      throw error;
    }
  }

  /** Stop the replica's server (fast shutdown, like its host dying). */
  stopReplica(): Promise<void> {
    return this.#servers.standby.stop();
  }

  /** Start the replica's server again. */
  startReplica(): Promise<void> {
    return this.#servers.standby.start();
  }

  /** Pause or resume WAL replay on the replica (`pg_wal_replay_pause()` / `pg_wal_replay_resume()`). */
  async replay(on: boolean): Promise<void> {
    await (on ? sql`select pg_wal_replay_resume()` : sql`select pg_wal_replay_pause()`).execute(this.replica.db);
  }

  /** Wait until the replica replayed everything the primary has written so far. */
  async caughtUp(timeoutMs = 10_000): Promise<void> {
    const { rows } = await sql<{ lsn: string }>`select pg_current_wal_insert_lsn()::text as lsn`.execute(this.primary.db);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { rows: r } = await sql<{ ok: boolean }>`select pg_last_wal_replay_lsn() >= ${rows[0]!.lsn}::pg_lsn as ok`.execute(this.replica.db);
      if (r[0]?.ok === true) return;
      if (Date.now() > deadline) throw new Error('replica did not catch up');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async destroy(): Promise<void> {
    await this.primary.db.destroy().catch(() => {});
    await this.replica.db.destroy().catch(() => {});
    await this.#servers.standby.destroy();
    await this.#servers.primary.destroy();
  }
}
