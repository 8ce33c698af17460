#!/usr/bin/env node
import { createPostgresDb } from './connect.js';
import { migrate, migrateDown } from './migrations.js';
import { exportUserCommand } from './commands/export-user.js';
import { importSeed000 } from './import/seed000.js';

const USAGE = `usage: parley-postgres <migrate|down|export-user> [--url postgres://user@host:port/db] [--schema name]
  migrate      apply every pending migration (safe to run twice)
  down         revert every migration (drops Parley's tables)
  export-user  --user ID: write everything Parley holds about the user to stdout, as JSON lines
  import seed000 --from URL [--from-schema name] --to URL [--schema name]
               move a chat database shaped like seed 000 into Parley (migrates the target first;
               resumable: run it again after a failure); prints a JSON report to stdout
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
  if (command === 'import') return importCommand(rest);
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

/** `import seed000 --from URL --to URL`: both databases opened here, the report printed as JSON. */
async function importCommand(args: string[]): Promise<number> {
  const [shape, ...rest] = args;
  if (shape !== 'seed000') throw new Error(`import: unknown source shape ${shape ?? '(none)'} (supported: seed000)`);
  const options = flags(rest);
  const from = options.get('from');
  const to = options.get('to') ?? process.env.DATABASE_URL;
  if (!from || !to) throw new Error('import seed000 needs --from URL and --to URL (or DATABASE_URL)');
  const { default: pg } = await import('pg');
  const source = createPostgresDb({ pg, url: from, max: 2, statementTimeoutMs: 0 });
  const target = createPostgresDb({ pg, url: to, max: 4, statementTimeoutMs: 0 });
  const schema = options.get('schema');
  const sourceSchema = options.get('from-schema');
  try {
    await migrate({ db: target.db, ...(schema ? { schema } : {}) });
    const startedAt = Date.now();
    const report = await importSeed000({
      source: source.db,
      target: target.db,
      ...(sourceSchema ? { sourceSchema } : {}),
      ...(schema ? { targetSchema: schema } : {}),
      onProgress: (r) => console.error(`imported ${r.messages} messages (${r.skipped} already there)`),
    });
    const seconds = (Date.now() - startedAt) / 1000;
    console.log(JSON.stringify({ ...report, seconds, messagesPerSecond: Math.round(report.messages / Math.max(seconds, 0.001)) }, null, 2));
    return 0;
  } finally {
    await source.close();
    await target.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`parley-postgres: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
