import type { MachineInfo } from '../machine.js';
import type { SectionResult, Table, Target } from './model.js';

/** Everything a run produced. */
export interface RunResult {
  mode: 'quick' | 'full';
  machine: MachineInfo;
  sections: SectionResult[];
  /** File name of the chart next to the Markdown file, if one was drawn. */
  chart?: string;
}

const cell = (v: string | number) => String(v).replace(/\|/g, '\\|');

/** One table as Markdown (bold title, then the table). */
export function table(t: Table): string {
  return [`**${t.title}**`, '', `| ${t.head.map(cell).join(' | ')} |`, `| ${t.head.map(() => '---').join(' | ')} |`, ...t.rows.map((r) => `| ${r.map(cell).join(' | ')} |`), ''].join('\n');
}

function targets(list: Target[]): string {
  const rows = list.map((t) => [t.verdict, t.what, t.goalText, t.ratio === null ? 'n/a' : `${Math.round(t.ratio * 100) / 100}x`, t.detail + (t.note ? ` — ${t.note}` : '')]);
  return table({ title: 'Targets', head: ['verdict', 'what', 'goal', 'measured', 'figures / note'], rows });
}

/** The summary table of a run (every target of every section, one row each), as Markdown. */
export function summaryMarkdown(run: RunResult): string {
  return targets(run.sections.flatMap((s) => s.targets.map((t) => ({ ...t, what: `${s.title}: ${t.what}` }))));
}

/** Render a run as Markdown. */
export function renderMarkdown(run: RunResult): string {
  const m = run.machine;
  const out: string[] = [
    `# Parley benchmarks — ${m.date.slice(0, 10)} (${run.mode} mode)`,
    '',
    `Machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.platform}; Node ${m.node}; ` +
      `Postgres ${m.postgres ?? 'n/a'}; PGlite ${m.pglite ?? 'n/a'}${m.mongodb ? `; MongoDB ${m.mongodb}` : ''}.`,
    '',
    'Every figure is a ratio against a baseline measured in the same run, with alternating repetitions and medians ' +
      '(see docs/benchmarks.md). p99 latencies on these virtual machines mostly measure the machine.',
    '',
  ];
  const all = run.sections.flatMap((s) => s.targets.map((t) => ({ ...t, what: `${s.title}: ${t.what}` })));
  if (all.length > 0) out.push('## Summary', '', targets(all));
  if (run.chart) out.push(`![ratios against targets](${run.chart})`, '');
  for (const s of run.sections) {
    out.push(`## ${s.title}`, '');
    if (s.skipped) {
      out.push(`Skipped: ${s.skipped}`, '');
      continue;
    }
    for (const n of s.notes) out.push(`- ${n}`);
    if (s.notes.length > 0) out.push('');
    for (const t of s.tables) out.push(table(t));
    if (s.targets.length > 0) out.push(targets(s.targets));
    if (s.plans.length > 0) {
      out.push('<details><summary>EXPLAIN of each Parley read path</summary>', '');
      for (const p of s.plans) out.push(`**${p.name}**${p.seqScanOfEvents ? ' (sequential scan of events!)' : ''}`, '', '```sql', p.sql.trim(), '```', '', '```', p.plan, '```', '');
      out.push('</details>', '');
    }
    out.push(`_Section time: ${Math.round(s.durationMs / 1000)} s._`, '');
  }
  return out.join('\n');
}
