import type { ChatStore } from '@parley/core';
import type { ReportStatus } from '@parley/protocol';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import { toReport } from './rows.js';
import type { Row } from './rows.js';
import type { TableRef } from './tables.js';

/** The report methods of the store: the `reports` table of migration 0006. */
export function reportMethods(db: Kysely<unknown>, t: TableRef): Pick<ChatStore, 'putReport' | 'getReport' | 'listReports' | 'closeReport' | 'reportCounts'> {
  const notAbout = (target: string | undefined) => (target === undefined ? sql`` : sql`and target_user_id <> ${target}`);
  return {
    async putReport(r) {
      const inserted = await sql<Row>`insert into ${t('reports')} (conversation_id, id, reporter_id, target_user_id, seq, reason, status, created_at)
        values (${r.conversationId}, ${r.id}, ${r.reporterId}, ${r.targetUserId}, ${r.seq}::bigint, ${r.reason}, ${r.status}, ${r.createdAt}::bigint)
        on conflict (conversation_id, reporter_id, target_user_id, coalesce(seq, 0)) do nothing returning *`.execute(db);
      if (inserted.rows[0]) return { report: toReport(inserted.rows[0]), created: true };
      const existing = await sql<Row>`select * from ${t('reports')} where conversation_id = ${r.conversationId} and reporter_id = ${r.reporterId}
        and target_user_id = ${r.targetUserId} and coalesce(seq, 0) = ${r.seq ?? 0}::bigint`.execute(db);
      return { report: toReport(existing.rows[0]!), created: false };
    },
    async getReport({ conversationId, id }) {
      const rows = await sql<Row>`select * from ${t('reports')} where conversation_id = ${conversationId} and id = ${id}`.execute(db);
      return rows.rows[0] ? toReport(rows.rows[0]) : null;
    },
    async listReports({ conversationId, status, excludeTarget, afterId, limit }) {
      const rows = await sql<Row>`select * from ${t('reports')} where conversation_id = ${conversationId}
        ${status === undefined ? sql`` : sql`and status = ${status}`} ${notAbout(excludeTarget)}
        ${afterId === undefined ? sql`` : sql`and id > ${afterId}`}
        order by id limit ${limit}`.execute(db);
      return rows.rows.map(toReport);
    },
    async closeReport({ conversationId, id, status, resolvedBy, resolvedAt, action }) {
      const rows = await sql<Row>`update ${t('reports')} set status = ${status}, resolved_by = ${resolvedBy}, resolved_at = ${resolvedAt}::bigint, action = ${action}
        where conversation_id = ${conversationId} and id = ${id} and status = 'open' returning *`.execute(db);
      return rows.rows[0] ? toReport(rows.rows[0]) : null;
    },
    async reportCounts({ conversationId, excludeTarget }) {
      const rows = await sql<Row>`select status, count(*)::int as n from ${t('reports')} where conversation_id = ${conversationId}
        ${notAbout(excludeTarget)} group by status`.execute(db);
      const counts: Record<ReportStatus, number> = { open: 0, resolved: 0, dismissed: 0 };
      for (const r of rows.rows) counts[String(r.status) as ReportStatus] = Number(r.n);
      return counts;
    },
  };
}
