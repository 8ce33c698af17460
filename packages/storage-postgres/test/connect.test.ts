import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresDb, type PgModuleLike } from '../src/connect.js';
import { Client, createPool } from './support/pg.js';
import { SERVER_URL, serverAvailable } from './support/server.js';

const available = await serverAvailable();
const child = fileURLToPath(new URL('./support/pool-child.ts', import.meta.url));
const testPg: PgModuleLike = {
  Pool: function Pool(config: Record<string, unknown>) {
    return createPool(config);
  } as unknown as PgModuleLike['Pool'],
};

interface Line {
  t: string;
  at?: number;
  code?: string | null;
}

/** Run pool-child.ts; `onLine` sees each JSON line. Resolves with the exit code and every line. */
function runChild(url: string, mode: 'helper' | 'plain', durationMs: number, onLine: (line: Line) => void) {
  const proc = spawn(process.execPath, ['--conditions=@parley/source', '--import', 'tsx', child, url, mode, String(durationMs)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  const lines: Line[] = [];
  let stderr = '';
  let buffer = '';
  proc.stdout.on('data', (d: Buffer) => {
    buffer += d.toString();
    let i: number;
    while ((i = buffer.indexOf('\n')) >= 0) {
      const text = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      try {
        const line = JSON.parse(text) as Line;
        lines.push(line);
        onLine(line);
      } catch {
        stderr += `${text}\n`;
      }
    }
  });
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; lines: Line[]; stderr: string }>((resolve) =>
    proc.on('exit', (code) => resolve({ code, lines, stderr })),
  );
  const kill = setTimeout(() => proc.kill('SIGKILL'), durationMs + 30_000);
  void exited.then(() => clearTimeout(kill));
  return { proc, exited };
}

describe.skipIf(!available)('createPostgresDb on a Postgres server', () => {
  // a database of its own: terminating "every backend of the current database" touches nobody else
  const database = `parley_conn_${randomBytes(5).toString('hex')}`;
  const url = SERVER_URL.replace(/\/[^/?]*(\?|$)/, `/${database}$1`);
  const admin = new Client({ connectionString: SERVER_URL });
  const killer = new Client({ connectionString: url });

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`create database "${database}"`);
    await killer.connect();
    killer.on('error', () => {});
  });
  afterAll(async () => {
    await killer.end().catch(() => {});
    await admin.query(`drop database if exists "${database}" with (force)`);
    await admin.end();
  });

  const terminateAll = async () => {
    const r = await killer.query(
      'select count(*)::int as n from (select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()) t',
    );
    return (r.rows[0] as { n: number }).n;
  };

  /** Start a child in `mode`, terminate every backend twice while it sends, and collect what happened. */
  async function underTermination(mode: 'helper' | 'plain') {
    let okCount = 0;
    const oks: number[] = [];
    let ready!: () => void;
    const isReady = new Promise<void>((r) => (ready = r));
    const run = runChild(url, mode, 6_000, (line) => {
      if (line.t === 'ready') ready();
      if (line.t === 'ok') {
        okCount++;
        oks.push(line.at!);
      }
    });
    await Promise.race([isReady, run.exited]);
    const terminations: Array<{ at: number; killed: number }> = [];
    for (let round = 0; round < 2; round++) {
      const before = okCount;
      const deadline = Date.now() + 5_000;
      while (okCount < before + 20 && Date.now() < deadline && run.proc.exitCode === null) await new Promise((r) => setTimeout(r, 20));
      if (run.proc.exitCode !== null) break;
      terminations.push({ at: Date.now(), killed: await terminateAll() });
      await new Promise((r) => setTimeout(r, 300));
    }
    const result = await run.exited;
    return { ...result, oks, terminations };
  }

  it('a chat on createPostgresDb keeps serving when every backend is terminated under load', async () => {
    const r = await underTermination('helper');
    expect(r.stderr).not.toMatch(/uncaught|Unhandled|57P01/i);
    expect(r.code).toBe(0);
    expect(r.lines.at(-1)?.t).toBe('done');
    expect(r.terminations).toHaveLength(2);
    for (const t of r.terminations) {
      expect(t.killed).toBeGreaterThan(0);
      // sends succeed again within a bounded time after each termination
      const next = r.oks.find((at) => at > t.at);
      expect(next).toBeDefined();
      expect(next! - t.at).toBeLessThan(3_000);
    }
    // the idle clients' errors were reported, not thrown
    expect(r.lines.filter((l) => l.t === 'pool-error').length).toBeGreaterThan(0);
    const failed = r.lines.filter((l) => l.t === 'fail');
    expect(failed.every((l) => l.code === 'UNAVAILABLE')).toBe(true);
    console.info(`[connect] helper: ${r.oks.length} sends ok, ${failed.length} UNAVAILABLE, terminated ${r.terminations.map((t) => t.killed).join('+')} backends, first ok after: ${r.terminations.map((t) => r.oks.find((at) => at > t.at)! - t.at).join(', ')} ms`);
  }, 60_000);

  it('the setup the docs used to show (a bare pg.Pool) dies on the same termination', async () => {
    const r = await underTermination('plain');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/terminating connection due to administrator command/);
  }, 60_000);

  it('sets keep-alive, timeouts and a pool size on the pool it builds, and close() is idempotent', async () => {
    const postgres = createPostgresDb({ pg: testPg, url, statementTimeoutMs: 1_000, onError: () => {} });
    const options = (postgres.pool as unknown as { options: Record<string, unknown> }).options;
    expect(options).toMatchObject({ max: 10, keepAlive: true, connectionTimeoutMillis: 10_000 });
    const { rows } = await postgres.pool.connect().then(async (c) => {
      try {
        return await (c as unknown as { query(sql: string): Promise<{ rows: Array<Record<string, string>> }> }).query(
          "select current_setting('statement_timeout') as st, current_setting('idle_in_transaction_session_timeout') as it, current_setting('application_name') as app",
        );
      } finally {
        c.release();
      }
    });
    expect(rows[0]).toEqual({ st: '1s', it: '1min', app: 'parley' });
    await postgres.close();
    await postgres.close();
    expect(postgres.pool.ended).toBe(true);
  });

  it('refuses a missing pg module with a clear error', () => {
    expect(() => createPostgresDb({ pg: undefined as unknown as PgModuleLike, url })).toThrow(/pass the pg module/);
  });
});
