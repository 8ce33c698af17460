import { sql } from 'kysely';
import type { Migration } from 'kysely';
import { createSendBatch } from './migration-send-batch.js';
import type { TableRef } from './tables.js';

/**
 * Migration 0006: permissions and moderation.
 *
 * - `conversations.permissions`: the conversation's own grants (a `PermissionOverride`), null when
 *   it follows the app's table. Read under the row lock by every append that checks a permission.
 * - The send function learns the `recheck` outcome (see `SendBatchVersion.permissions`): sends in
 *   conversations with their own grants leave the group commit for the transaction path.
 */
export function moderationMigration(t: TableRef): Migration {
  return {
    async up(db) {
      await sql`alter table ${t('conversations')} add column permissions jsonb`.execute(db);
      await createSendBatch(db, t, { permissions: true });
    },
    async down(db) {
      await createSendBatch(db, t, { permissions: false, replace: true });
      await sql`alter table ${t('conversations')} drop column permissions`.execute(db);
    },
  };
}
