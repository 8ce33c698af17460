/**
 * `npm run bench` (quick) / `npm run bench:full`: Parley beside its baselines in one run.
 * Flags: `--quick` | `--full`, `--write` (quick results are written only with it), `--only=storage,pglite,mongo,realtime,e2e,feed,client,bundles,offline,replicas`,
 * `--mongo=congodb` (the MongoDB section on in-process CongoDB, no figures), `--realtime-pg=postgres|pglite|none`.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { hasExports } from './available.js';
import { bundlesSection } from './bundles/section.js';
import { clientSection } from './client/section.js';
import { offlineSection } from './offline/section.js';
import { machineInfo } from './machine.js';
import { parseOptions } from './options.js';
import { CONGO_PLAN, modePlan } from './plan.js';
import { mongoStorage } from './mongo/section.js';
import type { RealtimeStore } from './realtime/messages.js';
import { serverSql } from './db/sql.js';
import { targetsChart } from './report/chart.js';
import { renderMarkdown, summaryMarkdown, table } from './report/markdown.js';
import type { RunResult } from './report/markdown.js';
import type { SectionResult } from './report/model.js';
import { section } from './report/model.js';
import { realtimeSection } from './realtime/section.js';
import { e2eSection } from './e2e/section.js';
import { replicaSection } from './replicas/section.js';
import { feedSection } from './feed/section.js';
import { pgliteStorage } from './storage/pglite.js';
import { serverStorage } from './storage/server.js';

const log = (line: string) => process.stdout.write(`${line}\n`);

function skipped(id: string, title: string, why: string): SectionResult {
  const out = section(id, title);
  out.skipped = why;
  return out;
}

/** Whether a Postgres server answers at `url`. */
async function answers(url: string): Promise<boolean> {
  const sql = serverSql(url, 1);
  try {
    await sql.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await sql.close();
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2), process.env);
  const plan = modePlan(options.mode);
  const machine = machineInfo();
  const run: RunResult = { mode: options.mode, machine, sections: [] };
  log(`Parley bench, ${options.mode} mode`);
  const storeReady = await hasExports('@parley/storage-postgres', ['createPostgresStore', 'migrate', 'createPGliteDialect']);
  if (options.sections.has('storage')) {
    log('storage on the Postgres server…');
    run.sections.push(
      storeReady
        ? await serverStorage(options.pgUrl, plan.server, plan.storage, machine, log)
        : skipped('pg', 'Storage on a Postgres server', '@parley/storage-postgres does not export createPostgresStore/migrate yet'),
    );
  }
  if (options.sections.has('pglite')) {
    log('storage on PGlite…');
    run.sections.push(
      storeReady
        ? await pgliteStorage(plan.pglite, plan.pgliteStorage, machine, log)
        : skipped('pglite', 'Storage on PGlite (embedded)', '@parley/storage-postgres does not export createPGliteDialect yet'),
    );
  }
  if (options.sections.has('mongo')) {
    const pg = run.sections.find((s) => s.id === 'pg' && !s.skipped);
    if (options.mongoUrl !== undefined) {
      log('storage on MongoDB…');
      run.sections.push(await mongoStorage(options.mongoUrl, plan.mongo, plan.mongoStorage, pg, machine, log));
    } else if (options.mongoCongo) {
      log('storage on MongoDB, against CongoDB (the section runs; no figures)…');
      run.sections.push(await mongoStorage(undefined, CONGO_PLAN.workload, CONGO_PLAN.storage, pg, machine, log));
    } else if (options.partial) {
      run.sections.push(skipped('mongo', 'Storage on MongoDB', 'MONGODB_URL is not set (or pass --mongo=congodb to check the section runs)'));
    }
  }
  if (options.sections.has('realtime')) {
    const stores: RealtimeStore[] = ['memory'];
    if (options.realtimePg !== 'none') stores.push(options.realtimePg === 'postgres' && !(await answers(options.pgUrl)) ? 'pglite' : options.realtimePg);
    log(`real-time (${stores.join(', ')} stores)…`);
    run.sections.push(await realtimeSection(plan.realtime, stores, log));
  }
  if (options.sections.has('e2e')) {
    log('end to end over the wire (issue 14)…');
    run.sections.push(await e2eSection(options.pgUrl, await answers(options.pgUrl), plan.e2e, log));
  }
  if (options.sections.has('replicas')) {
    log('read replicas (private primary + streaming replica)…');
    run.sections.push(await replicaSection(plan.replicas, log));
  }
  if (options.sections.has('feed')) {
    log('change feed under send load (issue 16)…');
    run.sections.push(await feedSection(plan.feed, await answers(options.pgUrl), log));
  }
  if (options.sections.has('client')) {
    log('client bundle…');
    run.sections.push(await clientSection());
  }
  if (options.sections.has('bundles')) {
    log('bundle sizes (client, offline cache, React bindings, socket.io-client, stream-chat)…');
    const bundles = await bundlesSection(log);
    run.sections.push(bundles);
    for (const t of bundles.tables) log(table(t));
  }
  if (options.sections.has('offline')) {
    log('client offline cache…');
    run.sections.push(await offlineSection(plan.offline, log));
  }
  for (const s of run.sections) {
    for (const t of s.targets) log(`  ${t.verdict.padEnd(4)} ${s.title}: ${t.what} — ${t.ratio === null ? 'n/a' : `${Math.round(t.ratio * 100) / 100}x`} (goal ${t.goalText})`);
    if (s.skipped) log(`  SKIP ${s.title}: ${s.skipped}`);
    else if (s.targets.length === 0) log(`  RAN  ${s.title}`);
  }
  log('');
  // The end-to-end tables are what the issue-14 figures are read from: print them whole.
  for (const t of run.sections.find((s) => s.id === 'e2e')?.tables ?? []) log(table(t));
  for (const t of run.sections.find((s) => s.id === 'offline')?.tables ?? []) log(table(t));
  log(summaryMarkdown(run));
  if (options.write) {
    const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'results');
    await mkdir(dir, { recursive: true });
    const base = `${machine.date.slice(0, 10)}${options.mode === 'quick' ? '-quick' : ''}`;
    if (options.partial) {
      // `--only=…` re-runs some sections: keep the other sections of today's file.
      const previous = await readFile(path.join(dir, `${base}.json`), 'utf8').then((t) => JSON.parse(t) as RunResult, () => null);
      if (previous) {
        const fresh = new Set(run.sections.map((s) => s.id));
        run.sections = [...previous.sections.filter((s) => !fresh.has(s.id)), ...run.sections];
        const order = ['pg', 'pglite', 'mongo', 'realtime', 'e2e', 'feed', 'client', 'bundles', 'offline', 'replicas'];
        run.sections.sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
        run.machine = { ...previous.machine, ...machine, postgres: machine.postgres ?? previous.machine.postgres, pglite: machine.pglite ?? previous.machine.pglite, mongodb: machine.mongodb ?? previous.machine.mongodb };
      }
    }
    const targets = run.sections.flatMap((s) => s.targets.map((t) => ({ ...t, what: `${s.id}: ${t.what}` })));
    if (targets.some((t) => t.ratio !== null)) {
      run.chart = `${base}.svg`;
      await writeFile(path.join(dir, run.chart), targetsChart(targets, `Parley vs baselines, ${base}`));
    }
    await writeFile(path.join(dir, `${base}.json`), `${JSON.stringify(run, null, 2)}\n`);
    await writeFile(path.join(dir, `${base}.md`), renderMarkdown(run));
    log(`wrote bench/results/${base}.md, .json${run.chart ? ', .svg' : ''}`);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
