import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import type { PGlite } from '@electric-sql/pglite';

/** A row as returned by either driver. */
export type Row = Record<string, unknown>;

/**
 * The few things the harness needs from a Postgres connection, implemented for a `pg` Pool (server)
 * and for PGlite (embedded), so loaders and baselines run unchanged on both.
 */
export interface Sql {
  /** `server` or `pglite`. */
  readonly kind: 'server' | 'pglite';
  /** Run one statement with parameters. */
  query<T = Row>(text: string, params?: unknown[]): Promise<T[]>;
  /** Run statements separated by semicolons (no parameters). */
  exec(text: string): Promise<void>;
  /** Run `fn` in a transaction on one connection. */
  tx<T>(fn: (q: Pick<Sql, 'query'>) => Promise<T>): Promise<T>;
  /** A kysely instance on the same database, for the Parley store (queries it runs are logged through `onQuery`). */
  kysely(onQuery?: (sql: string, params: readonly unknown[]) => void): Promise<Kysely<unknown>>;
  close(): Promise<void>;
}

/** Idle clients of a pool may be terminated when the bench database is dropped: not an error of the run. */
const quiet = (pool: pg.Pool): pg.Pool => pool.on('error', () => undefined);

/** Connect to a database on a Postgres server with a pool of `max` connections; `onStatement` is called for every statement sent. */
export function serverSql(url: string, max: number, onStatement: () => void = () => undefined): Sql {
  const pool = quiet(new pg.Pool({ connectionString: url, max }));
  const send = async <T>(q: pg.Pool | pg.PoolClient, text: string, params: unknown[] = []) => {
    onStatement();
    return (await q.query(text, params)).rows as T[];
  };
  const kyselies: Array<Kysely<unknown>> = [];
  return {
    kind: 'server',
    query: <T>(text: string, params: unknown[] = []) => send<T>(pool, text, params),
    async exec(text) {
      await send(pool, text);
    },
    async tx(fn) {
      const client = await pool.connect();
      try {
        await send(client, 'begin');
        const result = await fn({ query: <T>(text: string, params: unknown[] = []) => send<T>(client, text, params) });
        await send(client, 'commit');
        return result;
      } catch (error) {
        await send(client, 'rollback').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    async kysely(onQuery) {
      const db = new Kysely<unknown>({
        dialect: new PostgresDialect({ pool: quiet(new pg.Pool({ connectionString: url, max })) }),
        log: (event) => onQuery?.(event.query.sql, event.query.parameters),
      });
      kyselies.push(db);
      return db;
    },
    async close() {
      await Promise.all(kyselies.map((k) => k.destroy()));
      await pool.end();
    },
  };
}

/** Wrap a PGlite instance (one session; PGlite queues concurrent calls itself). */
export function pgliteSql(pglite: PGlite): Sql {
  return {
    kind: 'pglite',
    async query<T>(text: string, params: unknown[] = []) {
      return (await pglite.query<T>(text, params)).rows;
    },
    async exec(text) {
      await pglite.exec(text);
    },
    async tx(fn) {
      return pglite.transaction((t) => fn({ query: async <T>(text: string, params: unknown[] = []) => (await t.query<T>(text, params)).rows }));
    },
    async kysely(onQuery) {
      const { createPGliteDialect } = await import('@parley/storage-postgres');
      return new Kysely<unknown>({
        dialect: createPGliteDialect(pglite),
        log: (event) => onQuery?.(event.query.sql, event.query.parameters),
      });
    },
    async close() {
      await pglite.close();
    },
  };
}

/** Replace the database name of a Postgres URL. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
