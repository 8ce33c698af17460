import { CompiledQuery, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler } from 'kysely';
import type { DatabaseConnection, Dialect, Driver, Kysely, QueryResult, TransactionSettings } from 'kysely';
import { Mutex } from './mutex.js';

/**
 * The part of a PGlite instance (`@electric-sql/pglite`) the dialect uses. Any object with this
 * shape works, so this package never imports PGlite at runtime.
 */
export interface PGliteLike {
  query<T>(query: string, params?: unknown[], options?: { rowMode?: 'object' }): Promise<{ rows: T[]; affectedRows?: number; command?: string }>;
}

const COUNTED = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE']);

class PGliteConnection implements DatabaseConnection {
  constructor(private readonly pglite: PGliteLike) {}

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const result = await this.pglite.query<R>(compiled.sql, [...compiled.parameters], { rowMode: 'object' });
    const command = result.command?.split(' ')[0]?.toUpperCase();
    if (result.affectedRows !== undefined && (command === undefined || COUNTED.has(command))) {
      return { rows: result.rows, numAffectedRows: BigInt(result.affectedRows) };
    }
    return { rows: result.rows };
  }

  async *streamQuery<R>(compiled: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    yield await this.executeQuery<R>(compiled);
  }
}

class PGliteDriver implements Driver {
  readonly #mutex = new Mutex();
  readonly #releases = new WeakMap<DatabaseConnection, () => void>();

  constructor(private readonly pglite: PGliteLike) {}

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    // PGlite is one Postgres session: a connection is the exclusive right to use it, held from
    // here to releaseConnection. A transaction holds it from BEGIN to COMMIT/ROLLBACK, so two
    // transactions (or a transaction and a lone statement) never interleave.
    const release = await this.#mutex.lock();
    const connection = new PGliteConnection(this.pglite);
    this.#releases.set(connection, release);
    return connection;
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const parts = ['begin'];
    if (settings.isolationLevel) parts.push(`isolation level ${settings.isolationLevel}`);
    if (settings.accessMode) parts.push(settings.accessMode);
    await connection.executeQuery(CompiledQuery.raw(parts.join(' ')));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    this.#releases.get(connection)?.();
    this.#releases.delete(connection);
  }

  async destroy(): Promise<void> {}
}

/** Options of {@link createPGliteDialect}. */
export interface PGliteDialectOptions {
  /** An open PGlite instance. The caller owns it (closes it after `db.destroy()`). */
  pglite: PGliteLike;
}

/**
 * A kysely {@link Dialect} for embedded Postgres through PGlite. PGlite runs one Postgres session,
 * so every query and every transaction takes a mutex for its whole duration: concurrent
 * transactions queue instead of interleaving their statements in one session (which would commit
 * the work of a transaction that threw). Accepts the PGlite instance itself or options.
 */
export function createPGliteDialect(input: PGliteLike | PGliteDialectOptions): Dialect {
  const pglite = 'pglite' in input && typeof (input as PGliteDialectOptions).pglite?.query === 'function' ? (input as PGliteDialectOptions).pglite : (input as PGliteLike);
  return {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new PGliteDriver(pglite),
    createQueryCompiler: () => new PostgresQueryCompiler(),
    createIntrospector: (db: Kysely<any>) => new PostgresIntrospector(db),
  };
}
