#!/usr/bin/env node
import { createPostgresDb } from './connect.js';
import { migrate, migrateDown } from './migrations.js';
import { exportUserCommand } from './commands/export-user.js';

const USAGE = `usage: parley-postgres <migrate|down|export-user> [--url postgres://user@host:port/db] [--schema name]
  migrate      apply every pending migration (safe to run twice)
  down         revert every migration (drops Parley's tables)
  export-user  --user ID: write everything Parley holds about the user to stdout, as JSON lines
  --url     connection string (default: $DATABASE_URL)
  --schema  Postgres schema for Parley's tables (default: the search_path)`;

/** Parse `--name value` pairs after the command. */
function flags(args: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg}`);
    const [name, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
    const value = inline ?? args[++i];
    if (value === undefined) throw new Error(`--${name} needs a value`);
    out.set(name, value);
  }
  return out;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== 'migrate' && command !== 'down' && command !== 'export-user') {
    console.error(USAGE);
    return command === undefined || command === '--help' ? 0 : 2;
  }
  const options = flags(rest);
  const url = options.get('url') ?? process.env.DATABASE_URL;
  if (!url) {
    console.error('parley-postgres: no --url given and DATABASE_URL is not set');
    return 2;
  }
  const schema = options.get('schema');
  const { default: pg } = await import('pg');
  // no statement timeout: building an index on a large table may take longer than any default
  const postgres = createPostgresDb({ pg, url, max: 1, statementTimeoutMs: 0 });
  const { db } = postgres;
  try {
    if (command === 'export-user') {
      const userId = options.get('user');
      if (!userId) throw new Error('export-user needs --user ID');
      const lines = await exportUserCommand({ db, userId, out: process.stdout, ...(schema ? { schema } : {}) });
      console.error(`exported ${lines} records`);
      return 0;
    }
    const report = command === 'migrate' ? await migrate({ db, ...(schema ? { schema } : {}) }) : await migrateDown({ db, ...(schema ? { schema } : {}) });
    const verb = command === 'migrate' ? 'applied' : 'reverted';
    console.log(report.executed.length ? `${verb}: ${report.executed.join(', ')}` : `nothing to do (${command === 'migrate' ? 'up to date' : 'nothing applied'})`);
    return 0;
  } finally {
    await postgres.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`parley-postgres: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
