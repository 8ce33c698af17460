import type { ChatStore } from '@parley/core';
import type { Report, ReportStatus } from '@parley/protocol';
import type { ReportDoc } from './collections.js';
import type { StoreContext } from './context.js';
import { isDuplicateKeyError } from './errors.js';
import { keyId } from './ids.js';

/** `_id` of a report: derived from what makes it unique (one per reporter per message or user), so a second insert fails on every server. */
const reportId = (r: Pick<Report, 'conversationId' | 'reporterId' | 'targetUserId' | 'seq'>) =>
  keyId('report', r.conversationId, r.reporterId, r.targetUserId, r.seq ?? '');

const toReport = ({ _id: _ignored, ...report }: ReportDoc): Report => report;

/** The report methods of the store. */
export function reportMethods(ctx: StoreContext): Pick<ChatStore, 'putReport' | 'getReport' | 'listReports' | 'closeReport' | 'reportCounts'> {
  const { reports } = ctx.cols;
  const notAbout = (target: string | undefined) => (target === undefined ? {} : { targetUserId: { $ne: target } });
  return {
    async putReport(report) {
      const _id = reportId(report);
      try {
        await reports.insertOne({ _id, ...report });
        return { report, created: true };
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
        return { report: toReport((await reports.findOne({ _id }))!), created: false };
      }
    },
    async getReport({ conversationId, id }) {
      const doc = await reports.findOne({ conversationId, id });
      return doc ? toReport(doc) : null;
    },
    async listReports({ conversationId, status, excludeTarget, afterId, limit }) {
      const docs = await reports
        .find({ conversationId, ...(status ? { status } : {}), ...notAbout(excludeTarget), ...(afterId !== undefined ? { id: { $gt: afterId } } : {}) })
        .sort({ id: 1 })
        .limit(limit)
        .toArray();
      return docs.map(toReport);
    },
    async closeReport({ conversationId, id, status, resolvedBy, resolvedAt, action }) {
      const doc = await reports.findOneAndUpdate(
        { conversationId, id, status: 'open' },
        { $set: { status, resolvedBy, resolvedAt, action } },
        { returnDocument: 'after' },
      );
      return doc ? toReport(doc) : null;
    },
    async reportCounts({ conversationId, excludeTarget }) {
      const counts: Record<ReportStatus, number> = { open: 0, resolved: 0, dismissed: 0 };
      for (const status of ['open', 'resolved', 'dismissed'] as const) {
        counts[status] = await reports.countDocuments({ conversationId, status, ...notAbout(excludeTarget) });
      }
      return counts;
    },
  };
}
