import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { createChat, exportLines } from '@parley/core';
import type { Kysely } from 'kysely';
import { createPostgresStore } from '../postgres-store.js';

/** Options of {@link exportUserCommand}. */
export interface ExportUserCommandOptions<DB> {
  db: Kysely<DB>;
  schema?: string;
  userId: string;
  /** Where the JSON lines go (a file stream or stdout). Backpressure is respected. */
  out: Writable;
  /** Rows per store read. Default 200. */
  pageSize?: number;
}

/**
 * `parley-postgres export-user`: write a user's export (docs/operations.md, "Data subject
 * requests") as JSON lines to `out`. Returns the number of lines written.
 */
export async function exportUserCommand<DB>(options: ExportUserCommandOptions<DB>): Promise<number> {
  const store = createPostgresStore({ db: options.db, ...(options.schema ? { schema: options.schema } : {}) });
  const chat = createChat({ store });
  let lines = 0;
  try {
    for await (const line of exportLines(chat.exportUser(options.userId, options.pageSize ? { pageSize: options.pageSize } : {}))) {
      lines += 1;
      if (!options.out.write(line)) await once(options.out, 'drain');
    }
    return lines;
  } finally {
    await chat.close();
    await store.close?.();
  }
}
