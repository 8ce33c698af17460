/**
 * The real-time baseline of issue 14: the chat server a team would write instead of embedding
 * Parley — Socket.IO 4 (websocket transport) and `pg` (a pool of 10) on seed 000's schema.
 *
 * A socket authenticates with its user name, joins a room per chat it is a member of, and is told
 * `ready`. A `send` runs seed 000's send (one transaction: the message and a `sent` status row per
 * recipient), then emits the message to the chat's room (everyone but the sender) and acknowledges.
 * The schema (`seed000`) must exist in the database at `PARLEY_PG_URL`; the pair users and chats are
 * created here.
 */
import type http from 'node:http';
import { Server as SocketIOServer } from 'socket.io';
import { SEED_SCHEMA, seedSend } from '../db/seed000.js';
import { serverSql } from '../db/sql.js';
import type { Sql } from '../db/sql.js';
import { countRoundTrip } from './round-trips.js';

/** Pair i: users `a<i>` / `b<i>` and one individual chat; ids are derived from the names. */
async function createPairs(sql: Sql, pairs: number): Promise<string[]> {
  const s = SEED_SCHEMA;
  await sql.exec(`
    insert into ${s}.users (user_id, phone, name)
      select md5(p || i)::uuid, '+1' || p || lpad(i::text, 8, '0'), p || i from generate_series(0, ${pairs - 1}) i, unnest(array['a', 'b']) p;
    insert into ${s}.chats (chat_id, chat_type, created_by) select md5('pair' || i)::uuid, 'individual', md5('a' || i)::uuid from generate_series(0, ${pairs - 1}) i;
    insert into ${s}.chat_members (chat_id, user_id, role)
      select md5('pair' || i)::uuid, md5(p || i)::uuid, 'member' from generate_series(0, ${pairs - 1}) i, unnest(array['a', 'b']) p;
  `);
  const rows = await sql.query<{ id: string }>(`select md5('pair' || i)::uuid::text as id from generate_series(0, ${pairs - 1}) i order by i`);
  return rows.map((r) => r.id);
}

/** Attach the home-grown server to `server`; resolves with the pairs' chat ids and a close function. */
export async function homegrownServer(server: http.Server, pairs: number): Promise<{ pairIds: string[]; close(): Promise<void> }> {
  const sql = serverSql(process.env.PARLEY_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test', 10, countRoundTrip);
  const pairIds = await createPairs(sql, pairs);
  const io = new SocketIOServer(server, { transports: ['websocket'], serveClient: false });
  io.use((socket, next) => {
    const name = (socket.handshake.auth as { user?: unknown }).user;
    if (typeof name !== 'string') return next(new Error('unauthorized'));
    sql.query<{ user_id: string }>(`select user_id from ${SEED_SCHEMA}.users where name = $1`, [name]).then(
      ([row]) => (row ? ((socket.data.userId = row.user_id), next()) : next(new Error('unknown user'))),
      (error: Error) => next(error),
    );
  });
  io.on('connection', (socket) => {
    const userId = socket.data.userId as string;
    void sql.query<{ chat_id: string }>(`select chat_id from ${SEED_SCHEMA}.chat_members where user_id = $1`, [userId]).then(async (chats) => {
      await socket.join(chats.map((c) => c.chat_id));
      socket.emit('ready');
    });
    socket.on('send', (m: { chatId: string; text: string }, ack: (r: { ok: boolean; error?: string }) => void) => {
      seedSend(sql, m.chatId, userId, m.text).then(
        (row) => {
          socket.to(m.chatId).emit('message', { message_id: row.message_id, chat_id: m.chatId, sender_id: userId, content: m.text, created_at: row.created_at });
          ack({ ok: true });
        },
        (error: Error) => ack({ ok: false, error: error.message }),
      );
    });
  });
  return { pairIds, close: () => sql.close() };
}
