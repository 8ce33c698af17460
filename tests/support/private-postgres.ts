import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where `initdb` and `pg_ctl` are: `PARLEY_PG_BIN`, the PATH, `pg_config --bindir`, or Debian's per-version layout. */
async function findBinDir(): Promise<string | null> {
  const candidates: string[] = [];
  if (process.env.PARLEY_PG_BIN) candidates.push(process.env.PARLEY_PG_BIN);
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir) candidates.push(dir);
  try {
    candidates.push((await run('pg_config', ['--bindir'])).stdout.trim());
  } catch {
    // no pg_config
  }
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) for (const v of readdirSync(debian).sort().reverse()) candidates.push(join(debian, v, 'bin'));
  return candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) ?? null;
}

/** A free TCP port on 127.0.0.1 (released before use: fine for a test). */
async function sparePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** A temporary folder the server's user owns, and the command prefix that runs as that user. */
async function ownedFolder(): Promise<{ base: string; asUser: string[] }> {
  const base = mkdtempSync(join(tmpdir(), 'parley-pg-'));
  if (process.getuid?.() !== 0) return { base, asUser: [] };
  const { stdout } = await run('id', ['-u', 'postgres']);
  const { stdout: gid } = await run('id', ['-g', 'postgres']);
  chownSync(base, Number(stdout.trim()), Number(gid.trim()));
  return { base, asUser: ['runuser', '-u', 'postgres', '--'] };
}

/**
 * A Postgres server of the test's own, made with `initdb` in a temporary folder on a spare
 * port, so a test can stop and start it without touching the shared server. As root the
 * commands run as the `postgres` user (initdb refuses root).
 */
export class PrivatePostgres {
  readonly port: number;
  readonly #bin: string;
  readonly #base: string;
  readonly #data: string;
  readonly #asUser: string[];

  private constructor(bin: string, base: string, port: number, asUser: string[]) {
    this.#bin = bin;
    this.#base = base;
    this.#data = join(base, 'data');
    this.port = port;
    this.#asUser = asUser;
  }

  /** Connection string (trust auth, database `postgres`). */
  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  /**
   * Make one (initdb, not started). Null when initdb is not installed: the caller skips, and
   * the reason is printed; with CI=true that throws instead.
   */
  static async create(what: string): Promise<PrivatePostgres | null> {
    const bin = await findBinDir();
    if (!bin) {
      const message = `${what} needs initdb and pg_ctl (PostgreSQL server binaries) to run a private Postgres; none found (set PARLEY_PG_BIN to their folder, or install the PostgreSQL server package).`;
      if (process.env.CI === 'true') throw new Error(`CI=true: ${message}`);
      console.warn(`[skip] ${message}`);
      return null;
    }
    const { base, asUser } = await ownedFolder();
    const pg = new PrivatePostgres(bin, base, await sparePort(), asUser);
    await pg.#exec('initdb', ['-D', pg.#data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
    return pg;
  }

  /**
   * A streaming replica of this running server (`pg_basebackup -R`: a hot standby that follows it
   * over replication), in a folder of its own on a spare port; not started.
   */
  async replica(): Promise<PrivatePostgres> {
    // initdb and pg_ctl may be links on the PATH; pg_basebackup sits next to what they point at
    const bin = [this.#bin, dirname(realpathSync(join(this.#bin, 'pg_ctl')))].find((dir) => existsSync(join(dir, 'pg_basebackup')));
    if (bin === undefined) throw new Error(`pg_basebackup is not next to ${join(this.#bin, 'pg_ctl')}`);
    const { base } = await ownedFolder();
    const standby = new PrivatePostgres(bin, base, await sparePort(), this.#asUser);
    await standby.#exec('pg_basebackup', ['-h', '127.0.0.1', '-p', String(this.port), '-U', 'postgres', '-D', standby.#data, '-R', '-X', 'stream', '--no-sync']);
    return standby;
  }

  async #exec(tool: string, args: string[]): Promise<void> {
    const [cmd, ...rest] = [...this.#asUser, join(this.#bin, tool), ...args];
    await run(cmd!, rest, { timeout: 60_000 });
  }

  /** Start the server and wait until it accepts connections. */
  async start(): Promise<void> {
    const options = `-p ${this.port} -k ${this.#base} -c listen_addresses=127.0.0.1 -c fsync=off`;
    await this.#exec('pg_ctl', ['-D', this.#data, '-o', options, '-l', join(this.#base, 'log'), '-w', 'start']);
  }

  /** Stop it (fast shutdown: open sessions are terminated, as in a crash of the database host). */
  async stop(): Promise<void> {
    await this.#exec('pg_ctl', ['-D', this.#data, '-m', 'fast', '-w', 'stop']);
  }

  /** Stop it if running and remove its folder. */
  async destroy(): Promise<void> {
    await this.stop().catch(() => {});
    rmSync(this.#base, { recursive: true, force: true });
  }
}
