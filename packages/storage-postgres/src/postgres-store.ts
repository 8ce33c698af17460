import type { AppendResult, ChatStore, InboxRow, StoreCapabilities } from '@parley/core';
import { sql } from 'kysely';
import type { Kysely, RawBuilder } from 'kysely';
import { append, runSendBatch, type SendItem } from './append.js';
import { reportMethods } from './reports.js';
import { Batcher, type BatchingOptions } from './send-batcher.js';
import { jsonOrNull, pairKey, toCall, toContact, toConversation, toEvent, toMember, toRestriction, toStoredMessage, toUser } from './rows.js';
import type { Row } from './rows.js';
import { toTsQuery } from './search-query.js';
import { MESSAGE_TYPE, MUTATION_TYPES, tableRef } from './tables.js';
import { visibleMessage } from '@parley/core';
import { routeReads, type ReplicaOptions } from './replica-router.js';
import { createPostgresFeedStore } from './postgres-feed-store.js';
import { createPostgresPushDeviceStore } from './postgres-push-device-store.js';

/** Options of {@link createPostgresStore}. */
export interface PostgresStoreOptions<DB> {
  /** A kysely instance on Postgres (`PostgresDialect` over a `pg` Pool) or PGlite ({@link createPGliteDialect}). */
  db: Kysely<DB>;
  /** Postgres schema holding the tables (as given to `migrate`). Default: the connection's search_path. */
  schema?: string;
  /**
   * Group commit of sends: concurrent sends are written together, one statement and one commit per
   * batch, each with its own result. Missing fields take {@link DEFAULT_BATCHING}.
   */
  batching?: Partial<BatchingOptions>;
  /**
   * Streaming replicas (kysely instances on hot standbys of `db`) that may answer reads: history,
   * search, inbox, sync, receipts and other lists. A replica answers only when it has replayed
   * everything this store wrote or showed, otherwise the primary does; a replica that fails is skipped
   * for a while. Writes and the engine's checks always go to `db`. See docs/storage-postgres.md,
   * "Read replicas". Default: none, every read goes to `db`.
   */
  replicas?: Array<Kysely<DB>>;
  /** Tuning of {@link replicas}. Missing fields take {@link DEFAULT_REPLICA_OPTIONS}. */
  replicaOptions?: Partial<ReplicaOptions>;
}

/** What this store supports. */
export const POSTGRES_CAPABILITIES: StoreCapabilities = {
  fullTextSearch: true,
  transactions: true,
  uniqueConstraints: true,
  persistent: true,
};

/**
 * A {@link ChatStore} on Postgres through kysely: a Postgres server (`pg`) or embedded PGlite.
 * Run {@link migrate} first. The store never destroys the kysely instance: the caller owns it.
 */
export function createPostgresStore<DB>(options: PostgresStoreOptions<DB>): ChatStore {
  const { replicas, replicaOptions, ...single } = options;
  if (replicas === undefined || replicas.length === 0) return storeOn(single);
  const on = (db: Kysely<DB>) => ({ db: db as unknown as Kysely<unknown>, store: storeOn({ ...single, db }) });
  return routeReads(on(options.db), replicas.map(on), replicaOptions);
}

function storeOn<DB>(options: PostgresStoreOptions<DB>): ChatStore {
  const db = options.db as unknown as Kysely<unknown>;
  const t = tableRef(options.schema);
  const sends = new Batcher<SendItem, AppendResult>((items) => runSendBatch(db, t, items), options.batching);
  const appendContext = { db, t, sends };
  const rows = async (query: RawBuilder<Row>): Promise<Row[]> => (await query.execute(db)).rows;
  const first = async (query: RawBuilder<Row>): Promise<Row | undefined> => (await rows(query))[0];
  /** Unread of a member row `m` joined with its conversation `c` (frozen at leftSeq for former members). */
  const unread = sql`greatest(0, case when m.left_seq is null then c.message_count
    else coalesce((select x.ord from ${t('events')} x where x.conversation_id = m.conversation_id and x.seq = m.left_seq), 0) end - m.read_ord)`;
  const inboxRow = (r: Row): InboxRow => ({
    conversation: toConversation(r.conversation as Row),
    member: toMember(r.member as Row),
    unread: Number(r.unread),
  });

  const store: ChatStore = {
    capabilities: { ...POSTGRES_CAPABILITIES },
    feed: createPostgresFeedStore(db, t),
    push: createPostgresPushDeviceStore(db, t),

    // ------------------------------------------------------------------ users
    async upsertUser(input) {
      const set = [sql`updated_at = excluded.updated_at`];
      if (input.displayName !== undefined) set.push(sql`display_name = excluded.display_name`);
      if (input.avatarUrl !== undefined) set.push(sql`avatar_url = excluded.avatar_url`);
      if (input.statusText !== undefined) set.push(sql`status_text = excluded.status_text`);
      if (input.metadata !== undefined) set.push(sql`metadata = excluded.metadata`);
      const row = await first(sql<Row>`
        insert into ${t('users')} (id, created_at, updated_at, display_name, avatar_url, status_text, metadata)
        values (${input.id}, ${input.now}, ${input.now}, ${input.displayName ?? input.id}, ${input.avatarUrl ?? null}::text,
          ${input.statusText ?? null}::text, ${jsonOrNull(input.metadata ?? {})}::jsonb)
        on conflict (id) do update set ${sql.join(set)}
        returning *`);
      return toUser(row!);
    },
    async getUsers(ids) {
      if (ids.length === 0) return [];
      const found = new Map((await rows(sql<Row>`select * from ${t('users')} where id = any(${ids}::text[])`)).map((r) => [String(r.id), toUser(r)]));
      // in the order asked for, like the reference store
      return ids.flatMap((id) => (found.has(id) ? [found.get(id)!] : []));
    },
    async searchUsers({ query, limit }) {
      return (
        await rows(sql<Row>`select * from ${t('users')} where strpos(lower(display_name), ${query.toLowerCase()}) > 0
          order by display_name collate "C", id limit ${limit}`)
      ).map(toUser);
    },
    async setLastSeen({ userId, at }) {
      await sql`update ${t('users')} set last_seen_at = ${at}::bigint
        where id = ${userId} and (last_seen_at is null or last_seen_at < ${at}::bigint)`.execute(db);
    },

    // --------------------------------------------------------------- contacts
    async getContact(ownerId, userId) {
      const row = await first(sql<Row>`select * from ${t('contacts')} where owner_id = ${ownerId} and user_id = ${userId}`);
      return row ? toContact(row) : null;
    },
    async putContact({ ownerId, userId, alias, blocked, now }) {
      const set = [sql`updated_at = excluded.updated_at`];
      if (alias !== undefined) set.push(sql`alias = excluded.alias`);
      if (blocked !== undefined) set.push(sql`blocked = excluded.blocked`);
      const row = await first(sql<Row>`
        insert into ${t('contacts')} (owner_id, user_id, created_at, updated_at, blocked, alias)
        values (${ownerId}, ${userId}, ${now}, ${now}, ${blocked ?? false}, ${alias ?? null}::text)
        on conflict (owner_id, user_id) do update set ${sql.join(set)}
        returning *`);
      return toContact(row!);
    },
    async removeContact({ ownerId, userId }) {
      const deleted = await rows(sql<Row>`delete from ${t('contacts')} where owner_id = ${ownerId} and user_id = ${userId} returning 1 as one`);
      return deleted.length > 0;
    },
    async listContacts(ownerId) {
      return (await rows(sql<Row>`select * from ${t('contacts')} where owner_id = ${ownerId} order by user_id`)).map(toContact);
    },
    async isBlockedEitherWay(a, b) {
      const row = await first(sql<Row>`select exists (select 1 from ${t('contacts')} where blocked
        and ((owner_id = ${a} and user_id = ${b}) or (owner_id = ${b} and user_id = ${a}))) as blocked`);
      return row?.blocked === true;
    },
    async sharesConversation(a, b) {
      const row = await first(sql<Row>`select exists (
        select 1 from ${t('members')} ma
        join ${t('members')} mb on mb.conversation_id = ma.conversation_id and mb.user_id = ${b} and mb.left_seq is null
        join ${t('conversations')} c on c.id = ma.conversation_id and c.kind <> 'channel'
        where ma.user_id = ${a} and ma.left_seq is null) as shared`);
      return row?.shared === true;
    },

    // ---------------------------------------------------------- conversations
    async createConversation(input) {
      const pair = input.kind === 'direct' ? pairKey(input.directPair) : null;
      const created = {
        kind: input.kind,
        title: input.title,
        members: input.members.map((m) => ({ userId: m.userId, role: m.role })),
      };
      const row = await first(sql<Row>`
        with c as (
          insert into ${t('conversations')} (id, last_seq, message_count, last_activity_at, created_at, updated_at, member_count,
            kind, created_by, direct_pair, title, avatar_url, metadata)
          values (${input.id}, 1, 0, ${input.now}, ${input.now}, ${input.now}, ${input.members.length},
            ${input.kind}, ${input.createdBy}, ${pair}::text, ${input.title}::text, ${input.avatarUrl}::text, ${jsonOrNull(input.metadata)}::jsonb)
          on conflict (direct_pair) do nothing
          returning *
        ), m as (
          insert into ${t('members')} (conversation_id, user_id, join_seq, delivered_seq, read_seq, read_ord, joined_at, updated_at, role)
          select c.id, x."userId", 1, 1, 1, 0, ${input.now}::bigint, ${input.now}::bigint, x.role
          from c cross join jsonb_to_recordset(${JSON.stringify(created.members)}::jsonb) as x("userId" text, role text)
        ), e as (
          insert into ${t('events')} (conversation_id, seq, ord, at, type, actor_id, data)
          select c.id, 1, 0, ${input.now}::bigint, 0, ${input.createdBy}::text, ${JSON.stringify(created)}::jsonb from c
        )
        select * from c`);
      if (row) return { conversation: toConversation(row), created: true };
      const existing = pair === null ? undefined : await first(sql<Row>`select * from ${t('conversations')} where direct_pair = ${pair}`);
      if (!existing) throw new Error('conversation insert returned no row');
      return { conversation: toConversation(existing), created: false };
    },
    async getConversation(id) {
      const row = await first(sql<Row>`select * from ${t('conversations')} where id = ${id}`);
      return row ? toConversation(row) : null;
    },
    async findDirect(pair) {
      const row = await first(sql<Row>`select * from ${t('conversations')} where direct_pair = ${pairKey(pair)}`);
      return row ? toConversation(row) : null;
    },
    async listChannels({ query, afterId, limit }) {
      const after = afterId === undefined ? sql`true` : sql`id > ${afterId}`;
      const match = query === undefined ? sql`true` : sql`strpos(lower(coalesce(title, '')), ${query.toLowerCase()}) > 0`;
      return (
        await rows(sql<Row>`select * from ${t('conversations')} where kind = 'channel' and ${after} and ${match} order by id limit ${limit}`)
      ).map(toConversation);
    },

    // ---------------------------------------------------------------- members
    async getMember(conversationId, userId) {
      const row = await first(sql<Row>`select * from ${t('members')} where conversation_id = ${conversationId} and user_id = ${userId}`);
      return row ? toMember(row) : null;
    },
    async listMembers({ conversationId, afterUserId, limit }) {
      const after = afterUserId === undefined ? sql`true` : sql`user_id > ${afterUserId}`;
      return (
        await rows(sql<Row>`select * from ${t('members')} where conversation_id = ${conversationId} and left_seq is null and ${after}
          order by user_id limit ${limit}`)
      ).map(toMember);
    },
    async memberIds(conversationId) {
      const found = await rows(sql<Row>`select user_id from ${t('members')} where conversation_id = ${conversationId} and left_seq is null`);
      return found.map((r) => String(r.user_id));
    },
    ...reportMethods(db, t),
    async restrictions({ conversationId, userIds, kind, after, limit }) {
      const rows = await sql<Row>`select * from ${t('restrictions')} where conversation_id = ${conversationId}
        ${userIds === undefined ? sql`` : sql`and user_id = any(${userIds}::text[])`}
        ${kind === undefined ? sql`` : sql`and kind = ${kind}`}
        ${after === undefined ? sql`` : sql`and (user_id, kind) > (${after.userId}, ${after.kind})`}
        order by user_id, kind limit ${limit}`.execute(db);
      return rows.rows.map(toRestriction);
    },
    async setMuted({ conversationId, userId, mutedUntil, now }) {
      const row = await first(sql<Row>`update ${t('members')} set muted_until = ${mutedUntil}::bigint, updated_at = ${now}::bigint
        where conversation_id = ${conversationId} and user_id = ${userId} returning *`);
      return row ? toMember(row) : null;
    },

    // --------------------------------------------------------------- the log
    append: (input) => append(appendContext, input),

    async events({ conversationId, after, before, minSeq, maxSeq, limit, timelineOnly }) {
      if (limit <= 0) return [];
      const lo = Math.max(after !== undefined ? after + 1 : 1, minSeq ?? 1);
      const hiBounds = [before !== undefined ? before - 1 : undefined, maxSeq].filter((v): v is number => v !== undefined);
      const hi = hiBounds.length ? sql`and seq <= ${Math.min(...hiBounds)}::bigint` : sql``;
      const timeline = timelineOnly ? sql`and type <> all(${MUTATION_TYPES}::smallint[])` : sql``;
      const order = after !== undefined ? sql`asc` : sql`desc`;
      const found = await rows(sql<Row>`select * from ${t('events')}
        where conversation_id = ${conversationId} and seq >= ${lo}::bigint ${hi} ${timeline}
        order by seq ${order} limit ${limit}`);
      if (after === undefined) found.reverse();
      return found.map(toEvent);
    },
    async getMessage(conversationId, seq) {
      const row = await first(sql<Row>`select * from ${t('events')}
        where conversation_id = ${conversationId} and seq = ${seq}::bigint and type = ${MESSAGE_TYPE}`);
      return row ? visibleMessage(toStoredMessage(row)) : null;
    },

    // --------------------------------------------------------------- receipts
    async advanceWatermarks({ conversationId, userId, deliveredSeq, readSeq, now }) {
      const r = readSeq ?? 0;
      const d = deliveredSeq ?? 0;
      // One UPDATE; under concurrency Postgres re-evaluates it on the newest row version, so
      // greatest() can never move a watermark back.
      const moved = await first(sql<Row>`
        update ${t('members')} as m set
          read_seq = greatest(m.read_seq, ${r}::bigint),
          read_ord = case when ${r}::bigint > m.read_seq then greatest(m.read_ord, coalesce(
            (select x.ord from ${t('events')} x where x.conversation_id = m.conversation_id and x.seq = ${r}::bigint), m.read_ord))
            else m.read_ord end,
          delivered_seq = greatest(m.delivered_seq, ${d}::bigint, ${r}::bigint, m.read_seq),
          updated_at = ${now}::bigint
        where m.conversation_id = ${conversationId} and m.user_id = ${userId}
          and (${r}::bigint > m.read_seq or greatest(${d}::bigint, ${r}::bigint, m.read_seq) > m.delivered_seq)
        returning m.*`);
      if (moved) return toMember(moved);
      return store.getMember(conversationId, userId);
    },
    async receipts(conversationId) {
      return (await rows(sql<Row>`select * from ${t('members')} where conversation_id = ${conversationId} and left_seq is null`)).map(toMember);
    },

    // ------------------------------------------------------------------ inbox
    async inbox({ userId, after, limit }) {
      const cursor =
        after === undefined
          ? sql`true`
          : sql`(c.last_activity_at < ${after.lastActivityAt}::bigint or (c.last_activity_at = ${after.lastActivityAt}::bigint and c.id < ${after.conversationId}))`;
      const found = await rows(sql<Row>`
        select to_jsonb(c.*) as conversation, to_jsonb(m.*) as member, ${unread} as unread
        from ${t('members')} m join ${t('conversations')} c on c.id = m.conversation_id
        where m.user_id = ${userId} and m.left_seq is null and ${cursor}
        order by c.last_activity_at desc, c.id desc limit ${limit}`);
      return found.map(inboxRow);
    },
    async unreadTotal({ userId, now }) {
      const row = await first(sql<Row>`
        select coalesce(sum(u), 0) as total, count(*) filter (where u > 0) as conversations from (
          select greatest(0, c.message_count - m.read_ord) as u
          from ${t('members')} m join ${t('conversations')} c on c.id = m.conversation_id
          where m.user_id = ${userId} and m.left_seq is null and (m.muted_until is null or m.muted_until <= ${now}::bigint)
        ) s`);
      return { total: Number(row?.total ?? 0), conversations: Number(row?.conversations ?? 0) };
    },
    async changedMemberships({ userId, since, afterConversationId, limit }) {
      // keyset on members (user_id, conversation_id), migration 0004
      const after = afterConversationId === undefined ? sql`true` : sql`m.conversation_id > ${afterConversationId}`;
      const bound = limit === undefined ? sql`` : sql`limit ${limit}`;
      const found = await rows(sql<Row>`
        select to_jsonb(c.*) as conversation, to_jsonb(m.*) as member, ${unread} as unread
        from ${t('members')} m join ${t('conversations')} c on c.id = m.conversation_id
        where m.user_id = ${userId} and ${after} and (c.updated_at >= ${since}::bigint or m.updated_at >= ${since}::bigint)
        order by m.conversation_id ${bound}`);
      return found.map(inboxRow);
    },

    // ----------------------------------------------------------- delete for me
    async hide({ userId, conversationId, seq }) {
      await sql`insert into ${t('hidden')} (user_id, conversation_id, seq) values (${userId}, ${conversationId}, ${seq}::bigint)
        on conflict do nothing`.execute(db);
    },
    async hiddenSeqs({ userId, conversationId }) {
      const found = await rows(sql<Row>`select seq from ${t('hidden')}
        where user_id = ${userId} and conversation_id = ${conversationId} order by seq`);
      return found.map((r) => Number(r.seq));
    },

    // ----------------------------------------------------------------- search
    async search({ userId, query, conversationId, before, limit }) {
      const tsquery = toTsQuery(query);
      if (tsquery === null || limit <= 0) return [];
      const only = conversationId === undefined ? sql`true` : sql`m.conversation_id = ${conversationId}`;
      const created = sql`coalesce(e.created_at, e.at)`;
      const cursor =
        before === undefined
          ? sql`true`
          : sql`(${created} < ${before.createdAt}::bigint or (${created} = ${before.createdAt}::bigint and (
              e.conversation_id < ${before.conversationId} or (e.conversation_id = ${before.conversationId} and e.seq < ${before.seq}::bigint))))`;
      const tsq = sql`to_tsquery('simple'::regconfig, ${tsquery})`;
      // shared by both branches: within a past window of the member, not hidden, after the cursor, newest first
      const inPastWindow = sql`exists (select 1 from jsonb_array_elements(m.past_windows) w
        where e.seq between (w->>'joinSeq')::bigint and (w->>'leftSeq')::bigint)`;
      const visibleTail = sql`and not exists (select 1 from ${t('hidden')} h where h.user_id = m.user_id and h.conversation_id = e.conversation_id and h.seq = e.seq)
        and ${cursor}
        order by ${created} desc, e.conversation_id desc, e.seq desc
        limit ${limit}`;
      const found = await rows(sql<Row>`
        select * from ((
          select e.* from ${t('members')} m
          join ${t('events')} e on e.conversation_id = m.conversation_id
          where m.user_id = ${userId} and ${only}
            and e.type = 1 and e.deleted_at is null
            and to_tsvector('simple'::regconfig, e.text) @@ ${tsq}
            and ((e.seq >= m.join_seq and (m.left_seq is null or e.seq <= m.left_seq)) or ${inPastWindow})
            ${visibleTail}
        ) union (
          -- former members also find the texts they saw: as sent (original_text) or as edited
          -- before they left, both GIN-indexed (migration 0004); the engine rolls hits back to leftSeq
          select e.* from ${t('members')} m
          join ${t('events')} e on e.conversation_id = m.conversation_id
          where m.user_id = ${userId} and m.left_seq is not null and ${only}
            -- uncorrelated, so a one-time filter: a user who never left anything skips this branch
            and exists (select 1 from ${t('members')} f where f.user_id = ${userId} and f.left_seq is not null)
            and e.type = 1 and e.deleted_at is null and e.seq <= m.left_seq
            and ((e.original_text is not null and to_tsvector('simple'::regconfig, e.original_text) @@ ${tsq})
              or exists (select 1 from ${t('events')} x where x.conversation_id = e.conversation_id and x.type = 2
                and x.target = e.seq and x.seq <= m.left_seq and to_tsvector('simple'::regconfig, x.text) @@ ${tsq}))
            and ((e.seq >= m.join_seq) or ${inPastWindow})
            ${visibleTail}
        )) u
        order by coalesce(u.created_at, u.at) desc, u.conversation_id desc, u.seq desc
        limit ${limit}`);
      return found.map(toStoredMessage);
    },

    // ------------------------------------------------- former-member views
    async mutationsOf({ conversationId, targets, after }) {
      if (targets.length === 0) return [];
      const from = after === undefined ? sql`` : sql`and seq > ${after}::bigint`;
      const found = await rows(sql<Row>`select * from ${t('events')}
        where conversation_id = ${conversationId} and target = any(${targets}::bigint[]) ${from}
        order by seq`);
      return found.map(toEvent);
    },
    async originalTexts({ conversationId, seqs }) {
      if (seqs.length === 0) return [];
      const found = await rows(sql<Row>`select seq, original_text from ${t('events')}
        where conversation_id = ${conversationId} and seq = any(${seqs}::bigint[]) and type = ${MESSAGE_TYPE}
          and deleted_at is null and original_text is not null`);
      return found.map((r) => ({ seq: Number(r.seq), text: String(r.original_text) }));
    },

    // ------------------------------------------------------------------ calls
    async getCall(id) {
      const row = await first(sql<Row>`select body from ${t('calls')} where id = ${id}`);
      return row ? toCall(row) : null;
    },
    async activeCall(conversationId) {
      const row = await first(sql<Row>`select body from ${t('calls')}
        where conversation_id = ${conversationId} and status in ('ringing', 'active') limit 1`);
      return row ? toCall(row) : null;
    },
    async listCalls({ userId, before, limit }) {
      const cursor =
        before === undefined
          ? sql`true`
          : sql`(started_at < ${before.startedAt}::bigint or (started_at = ${before.startedAt}::bigint and id < ${before.id}))`;
      return (
        await rows(sql<Row>`select body from ${t('calls')} where participant_ids @> array[${userId}::text] and ${cursor}
          order by started_at desc, id desc limit ${limit}`)
      ).map(toCall);
    },

    // -------------------------------------------------------------- retention
    async purgeDeleted({ deletedBefore, conversationId, seqs }) {
      const scope = sql`${conversationId === undefined ? sql`true` : sql`conversation_id = ${conversationId}`}
        and ${seqs === undefined ? sql`true` : sql`seq = any(${seqs}::bigint[])`}`;
      const row = await first(sql<Row>`
        with p as (
          update ${t('events')} set text = null, attachments = null, metadata = null, reactions = null, mentions = null
          where deleted_at is not null and deleted_at < ${deletedBefore}::bigint and type = 1 and ${scope}
            and (text is not null or attachments is not null or metadata is not null)
          returning conversation_id, seq
        ), ed as (
          update ${t('events')} x set text = '' from p
          where x.conversation_id = p.conversation_id and x.type = 2 and x.target = p.seq
        ), lv as (
          update ${t('members')} m set left_view = jsonb_set(m.left_view, '{lastMessage}', (m.left_view->'lastMessage') || '{"text": null, "deleted": true}'::jsonb)
          from p where m.conversation_id = p.conversation_id and jsonb_typeof(m.left_view->'lastMessage') = 'object'
            and (m.left_view->'lastMessage'->>'seq')::bigint = p.seq
        )
        select count(*) as n from p`);
      return Number(row?.n ?? 0);
    },
    async expireMessages({ now }) {
      const row = await first(sql<Row>`
        with x as (
          update ${t('events')} e set deleted_at = ${now}::bigint, text = null, attachments = null, metadata = null, reactions = null, mentions = null
          from ${t('conversations')} c
          where c.message_ttl_seconds is not null and e.conversation_id = c.id and e.type = 1 and e.deleted_at is null
            and coalesce(e.created_at, e.at) < ${now}::bigint - c.message_ttl_seconds::bigint * 1000
          returning e.conversation_id, e.seq
        ), ed as (
          update ${t('events')} y set text = '' from x
          where y.conversation_id = x.conversation_id and y.type = 2 and y.target = x.seq
        ), cv as (
          update ${t('conversations')} c set last_message = c.last_message || '{"text": null, "deleted": true}'::jsonb
          from x where c.id = x.conversation_id and (c.last_message->>'seq')::bigint = x.seq
        )
        select count(*) as n from x`);
      return Number(row?.n ?? 0);
    },
  };
  return store;
}
