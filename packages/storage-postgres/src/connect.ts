import { Kysely, PostgresDialect, type PostgresPool } from 'kysely';

/**
 * The part of a `pg.Pool` Parley relies on. `pg`'s own `Pool` satisfies it; the type is declared
 * here so this package does not import `pg` (a peer dependency, optional for PGlite users).
 */
export interface PgPoolLike extends PostgresPool {
  /** `error`: an idle client lost its connection. `connect`: a new client joined the pool. */
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'connect', listener: (client: PgClientEvents) => void): unknown;
  /** True once `end()` was called (pg sets it). */
  readonly ended?: boolean;
}

/** The events of a pooled `pg.Client` that {@link createPostgresDb} listens to. */
export interface PgClientEvents {
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/** The `pg` module, or anything with its `Pool` constructor: `import pg from 'pg'`. */
export interface PgModuleLike {
  Pool: new (config: Record<string, unknown>) => PgPoolLike;
}

/** Options of {@link createPostgresDb}. */
export interface PostgresDbOptions {
  /** The `pg` module (`import pg from 'pg'`). Parley injects drivers rather than importing them. */
  pg: PgModuleLike;
  /** A connection string (`postgres://user:pass@host:5432/db`). Or give the fields in `pool`. */
  url?: string;
  /**
   * Further `pg.Pool` options (`host`, `user`, `password`, `database`, `ssl`, …), passed through.
   * Parley's defaults below apply unless set here.
   */
  pool?: Record<string, unknown>;
  /** Pool size. Default 10 (a Postgres server allows 100 connections by default; leave room for others). */
  max?: number;
  /**
   * Server-side `statement_timeout` for every connection, in ms: a statement running longer is
   * cancelled (the operation fails with `UNAVAILABLE`) instead of holding a pooled client and its
   * locks forever. 0 disables it. Default 30 s.
   */
  statementTimeoutMs?: number;
  /**
   * Server-side `idle_in_transaction_session_timeout`, in ms: a transaction left open by a stalled
   * process is ended so its row locks cannot block a conversation. 0 disables it. Default 60 s.
   */
  idleInTransactionTimeoutMs?: number;
  /** How long acquiring a connection may take before failing (database down). Default 10 s. */
  connectionTimeoutMs?: number;
  /**
   * Called when a pooled connection fails outside a query: Postgres restarted, an administrator
   * or a proxy terminated the backend (`57P01`), the network dropped. The pool replaces the
   * connection; the next query reconnects. Without this handler such an error would be an uncaught
   * exception and end the process; with it, it is only reported. Default: one `console.warn` line
   * with the error's code and message.
   */
  onError?: (error: Error) => void;
}

/** What {@link createPostgresDb} returns. */
export interface PostgresDb {
  /** The Kysely instance to give `migrate` and `createPostgresStore` (and your own queries). */
  db: Kysely<unknown>;
  /** The underlying pool (for `createPostgresPubSub`'s own client, metrics, or your queries). */
  pool: PgPoolLike;
  /** Destroy the Kysely instance and end the pool. Idempotent. Call after `chat.close()`. */
  close(): Promise<void>;
}

const defaultOnError = (error: Error): void => {
  const code = (error as { code?: unknown }).code;
  console.warn(`[parley] postgres connection lost${typeof code === 'string' ? ` (${code})` : ''}: ${error.message}`);
};

/**
 * The blessed way to connect Parley to a Postgres server: a `pg.Pool` with its `error` events
 * handled (a restart or a terminated backend never crashes the process), TCP keep-alive (dead
 * peers behind NATs and load balancers are noticed), a statement timeout, an idle-in-transaction
 * timeout, a connect timeout and a pool size default, wrapped in the Kysely instance the store
 * takes.
 *
 * ```ts
 * import pg from 'pg';
 * import { createPostgresDb, createPostgresStore, migrate } from '@parley/storage-postgres';
 *
 * const postgres = createPostgresDb({ pg, url: process.env.DATABASE_URL, onError: (e) => log.warn(e.message) });
 * await migrate({ db: postgres.db });
 * const chat = createChat({ store: createPostgresStore({ db: postgres.db }) });
 * // shutdown: await chat.close(); await postgres.close();
 * ```
 */
export function createPostgresDb(options: PostgresDbOptions): PostgresDb {
  if (typeof options.pg?.Pool !== 'function') throw new TypeError('createPostgresDb: pass the pg module as `pg` (import pg from "pg")');
  const onError = options.onError ?? defaultOnError;
  const report = (error: Error): void => {
    try {
      onError(error);
    } catch {
      // a failing reporter must not turn a handled error into an uncaught one
    }
  };
  const statementTimeout = options.statementTimeoutMs ?? 30_000;
  const idleInTransaction = options.idleInTransactionTimeoutMs ?? 60_000;
  const config: Record<string, unknown> = {
    max: options.max ?? 10,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 10_000,
    application_name: 'parley',
    ...(statementTimeout > 0 ? { statement_timeout: statementTimeout } : {}),
    ...(idleInTransaction > 0 ? { idle_in_transaction_session_timeout: idleInTransaction } : {}),
    ...options.pool,
    ...(options.url !== undefined ? { connectionString: options.url } : {}),
  };
  const pool = new options.pg.Pool(config);
  // an idle pooled client whose backend died: the pool emits this and drops the client
  pool.on('error', report);
  // a checked-out client between two queries (inside a transaction) emits on itself instead
  pool.on('connect', (client) => {
    client.on('error', report);
  });
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
  let closing: Promise<void> | null = null;
  return {
    db,
    pool,
    close() {
      closing ??= (async () => {
        await db.destroy();
        // Kysely ends the pool only if it ever used it
        if (!pool.ended) await pool.end();
      })();
      return closing;
    },
  };
}
