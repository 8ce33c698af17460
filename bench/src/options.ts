/** Command-line options of the benchmark run. */
export interface BenchOptions {
  /** `quick`: scaled down for CI (minutes); `full`: the W1 scale from the issues. */
  mode: 'quick' | 'full';
  /** Write `bench/results/<date>.md|.json` (always on in full mode). */
  write: boolean;
  /** Sections to run (default: all that are available). */
  sections: Set<SectionName>;
  /** True with `--only=…`: written results keep the other sections of the same day's file. */
  partial: boolean;
  /** Postgres server URL (a database on it is created and dropped). */
  pgUrl: string;
  /** MongoDB URL; the Mongo store is measured only when set. */
  mongoUrl: string | undefined;
  /**
   * `--mongo=congodb`: run the MongoDB section against in-process CongoDB (a wire-compatible test
   * server) at a small scale, to show the section runs; it then reports no figures.
   */
  mongoCongo: boolean;
  /**
   * The Postgres store behind the second Parley real-time server (`--realtime-pg=postgres|pglite|none`):
   * default `postgres` (the server at `pgUrl`, or PGlite when none answers).
   */
  realtimePg: 'postgres' | 'pglite' | 'none';
}

/** The sections of a run. */
export type SectionName = 'storage' | 'pglite' | 'mongo' | 'realtime' | 'e2e' | 'feed' | 'client' | 'bundles' | 'offline' | 'replicas';

const ALL: SectionName[] = ['storage', 'pglite', 'mongo', 'realtime', 'e2e', 'feed', 'client', 'bundles', 'offline', 'replicas'];

/** Parse `--quick|--full`, `--write`, `--only=storage,client`, `--mongo=congodb`, `--realtime-pg=…`. */
export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): BenchOptions {
  const full = argv.includes('--full');
  const only = argv.find((a) => a.startsWith('--only='));
  const sections = new Set<SectionName>(
    only === undefined ? ALL : (only.slice('--only='.length).split(',').filter((s): s is SectionName => ALL.includes(s as SectionName))),
  );
  return {
    mode: full ? 'full' : 'quick',
    write: full || argv.includes('--write'),
    sections,
    partial: only !== undefined,
    pgUrl: env.PARLEY_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    mongoUrl: env.MONGODB_URL || undefined,
    mongoCongo: argv.includes('--mongo=congodb'),
    realtimePg: (['postgres', 'pglite', 'none'] as const).find((v) => argv.includes(`--realtime-pg=${v}`)) ?? 'postgres',
  };
}
