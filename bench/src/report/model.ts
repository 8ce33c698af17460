/** The shape of a run's results: what run.ts writes to JSON and renders to Markdown. */

/** A table of figures. */
export interface Table {
  title: string;
  head: string[];
  rows: Array<Array<string | number>>;
}

/** A target from the issues, checked against a ratio measured in the same run. */
export interface Target {
  /** Short id, e.g. `storage.size`. */
  id: string;
  /** What is compared, in words. */
  what: string;
  /** The measured ratio (how many times better Parley is, or Parley / ceiling for throughput). */
  ratio: number | null;
  /** The ratio the target asks for (`ratio >= goal`, or `ratio <= goal` when `atMost`). */
  goal: number;
  /** The ratio must stay at or below the goal (e.g. memory relative to a baseline). */
  atMost?: boolean;
  /** Human form of the goal, e.g. `>= 100x faster`. */
  goalText: string;
  /** PASS / MISS, or SKIP when not measurable in this run. */
  verdict: 'PASS' | 'MISS' | 'SKIP';
  /** The figures behind the ratio. */
  detail: string;
  /** For a miss or a skip: why, and what would close it. */
  note?: string;
}

/** An EXPLAIN plan of one read path. */
export interface Plan {
  name: string;
  sql: string;
  plan: string;
  /** True when the plan reads the events table with a sequential scan. */
  seqScanOfEvents: boolean;
}

/** One section of a run. */
export interface SectionResult {
  id: string;
  title: string;
  /** Set when the section could not run (and why). */
  skipped?: string;
  tables: Table[];
  targets: Target[];
  notes: string[];
  plans: Plan[];
  durationMs: number;
}

/** Build a target from a ratio (`ratio >= goal` passes, or `ratio <= goal` with `atMost`). */
export function target(t: Omit<Target, 'verdict'> & { verdict?: Target['verdict'] }): Target {
  const met = (r: number) => (t.atMost ? r <= t.goal : r >= t.goal);
  const verdict = t.verdict ?? (t.ratio === null || !Number.isFinite(t.ratio) ? 'SKIP' : met(t.ratio) ? 'PASS' : 'MISS');
  return { ...t, verdict };
}

/** How far a target is met: above 1 passes (ratio / goal, inverted for `atMost`). */
export function margin(t: Target): number {
  if (t.ratio === null) return Number.NaN;
  return t.atMost ? t.goal / t.ratio : t.ratio / t.goal;
}

/** An empty section result. */
export function section(id: string, title: string): SectionResult {
  return { id, title, tables: [], targets: [], notes: [], plans: [], durationMs: 0 };
}
