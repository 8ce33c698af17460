/**
 * `npm run bench` (quick) / `npm run bench:full`: Parley beside its baselines in one run.
 * Flags: `--quick` | `--full`, `--write` (quick results are written only with it), `--only=storage,pglite,realtime,client`.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { hasExports } from './available.js';
import { clientSection } from './client/section.js';
import { machineInfo } from './machine.js';
import { parseOptions } from './options.js';
import { modePlan } from './plan.js';
import { targetsChart } from './report/chart.js';
import { renderMarkdown } from './report/markdown.js';
import type { RunResult } from './report/markdown.js';
import type { SectionResult } from './report/model.js';
import { section } from './report/model.js';
import { realtimeSection } from './realtime/section.js';
import { pgliteStorage } from './storage/pglite.js';
import { serverStorage } from './storage/server.js';

const log = (line: string) => process.stdout.write(`${line}\n`);

function skipped(id: string, title: string, why: string): SectionResult {
  const out = section(id, title);
  out.skipped = why;
  return out;
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
  if (options.sections.has('realtime')) {
    log('real-time…');
    run.sections.push(await realtimeSection(plan.realtime, log));
  }
  if (options.sections.has('client')) {
    log('client bundle…');
    run.sections.push(await clientSection());
  }
  for (const s of run.sections) {
    for (const t of s.targets) log(`  ${t.verdict.padEnd(4)} ${s.title}: ${t.what} — ${t.ratio === null ? 'n/a' : `${Math.round(t.ratio * 100) / 100}x`} (goal ${t.goalText})`);
    if (s.skipped) log(`  SKIP ${s.title}: ${s.skipped}`);
  }
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
        const order = ['pg', 'pglite', 'realtime', 'client'];
        run.sections.sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
        run.machine = { ...previous.machine, ...machine, postgres: machine.postgres ?? previous.machine.postgres, pglite: machine.pglite ?? previous.machine.pglite };
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
