import type { Report, ReportStatus } from '@parley/protocol';

/** The key that makes a report unique: one report per reporter per message (or user). */
export const reportKey = (r: Pick<Report, 'conversationId' | 'reporterId' | 'targetUserId' | 'seq'>): string =>
  [r.conversationId, r.reporterId, r.targetUserId, r.seq ?? ''].join('\u0000');

/** {@link ChatStore.listReports} over an in-memory list of one conversation's reports. */
export function reportsPage(list: readonly Report[], query: { status?: ReportStatus; excludeTarget?: string; afterId?: string; limit: number }): Report[] {
  return list
    .filter((r) => (query.status === undefined || r.status === query.status) && r.targetUserId !== query.excludeTarget)
    .filter((r) => query.afterId === undefined || r.id > query.afterId)
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .slice(0, query.limit);
}

/** {@link ChatStore.reportCounts} over an in-memory list. */
export function countReports(list: readonly Report[], excludeTarget?: string): Record<ReportStatus, number> {
  const counts: Record<ReportStatus, number> = { open: 0, resolved: 0, dismissed: 0 };
  for (const r of list) if (r.targetUserId !== excludeTarget) counts[r.status]++;
  return counts;
}
