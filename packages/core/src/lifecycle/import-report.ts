/**
 * What an import into Parley did (the seed 000 and seed 001 importers of the store packages), and
 * what it could not map: each left-out source row with its table or collection, id and why.
 */
export interface ImportReport {
  users: number;
  directs: number;
  groups: number;
  /** Messages sent; on a rerun, messages already imported count as `skipped`. */
  messages: number;
  skipped: number;
  /** Members whose read/delivered position moved. */
  watermarks: number;
  /** Source rows left out, at most {@link UNMAPPED_LISTED} listed (`unmappedCount` counts all). */
  unmapped: Array<{ source: string; id: string; reason: string }>;
  unmappedCount: number;
}

/** How many unmapped rows an {@link ImportReport} lists. */
export const UNMAPPED_LISTED = 1000;

/** An empty report and the function that records one unmapped row in it. */
export function createImportReport(): { report: ImportReport; unmapped: (source: string, id: string, reason: string) => void } {
  const report: ImportReport = { users: 0, directs: 0, groups: 0, messages: 0, skipped: 0, watermarks: 0, unmapped: [], unmappedCount: 0 };
  return {
    report,
    unmapped(source, id, reason) {
      report.unmappedCount += 1;
      if (report.unmapped.length < UNMAPPED_LISTED) report.unmapped.push({ source, id, reason });
    },
  };
}
