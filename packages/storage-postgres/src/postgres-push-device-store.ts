import type { PushDevice, PushDeviceStore, PushLevel } from '@parley/core';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { Row } from './rows.js';
import type { TableRef } from './tables.js';

const toDevice = (r: Row): PushDevice => ({
  userId: String(r.user_id),
  deviceId: String(r.device_id),
  provider: String(r.provider),
  token: String(r.token),
  level: String(r.level) as PushLevel,
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

/** Push devices on Postgres (table `push_devices`, migration `0005_feed`). */
export function createPostgresPushDeviceStore(db: Kysely<unknown>, t: TableRef): PushDeviceStore {
  return {
    async putDevice({ userId, deviceId, provider, token, level, now, maxPerUser }) {
      const inOne = <T>(fn: (trx: Kysely<unknown>) => Promise<T>) => (db.isTransaction ? fn(db) : db.transaction().execute(fn));
      return inOne(async (trx) => {
        const row = (
          await sql<Row>`insert into ${t('push_devices')} as d (user_id, device_id, provider, token, level, created_at, updated_at)
            values (${userId}, ${deviceId}, ${provider}, ${token}, ${level}, ${now}, ${now})
            on conflict (user_id, device_id) do update set provider = excluded.provider, token = excluded.token,
              level = excluded.level, updated_at = excluded.updated_at
            returning *`.execute(trx)
        ).rows[0]!;
        await sql`delete from ${t('push_devices')} where user_id = ${userId} and device_id in (
            select device_id from ${t('push_devices')} where user_id = ${userId}
            order by updated_at desc, device_id desc offset ${maxPerUser})`.execute(trx);
        return toDevice(row);
      });
    },
    async removeDevice({ userId, deviceId }) {
      const gone = await sql<Row>`delete from ${t('push_devices')} where user_id = ${userId} and device_id = ${deviceId} returning 1 as one`.execute(db);
      return gone.rows.length > 0;
    },
    async devicesOf(userIds) {
      if (userIds.length === 0) return [];
      const rows = await sql<Row>`select * from ${t('push_devices')} where user_id = any(${[...userIds]}::text[]) order by user_id, device_id`.execute(db);
      return rows.rows.map(toDevice);
    },
  };
}
