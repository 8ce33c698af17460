import type { Sql } from './db/sql.js';

/**
 * Workload W1 (issues 3 and 8): users, direct conversations, groups, messages and one busy channel.
 * The generator writes it once into a staging schema `w1`; both loaders (Parley's schema and the
 * seed 000 baseline) copy from there, so both hold exactly the same users, conversations,
 * memberships, message texts, senders and read positions.
 */
export interface Workload {
  /** 1 for full W1; e.g. 1/50 in quick mode. */
  scale: number;
  users: number;
  directs: number;
  groups: number;
  groupSize: number;
  directMessages: number;
  groupMessages: number;
  busyMembers: number;
  busyMessages: number;
  /** How deep the "deep history" page reads into the busy channel (90,000 at full scale). */
  deepOffset: number;
  /** Words in the vocabulary (message texts draw Zipf-like from it). */
  vocabulary: number;
}

/** W1 at a scale (1 = the issues' numbers). */
export function w1(scale: number): Workload {
  const n = (full: number, min = 1) => Math.max(min, Math.round(full * scale));
  return {
    scale,
    users: n(10_000, 100),
    directs: n(20_000, 200),
    groups: n(1_000, 10),
    groupSize: 30,
    directMessages: n(700_000),
    groupMessages: n(300_000),
    busyMembers: n(1_000, 10),
    busyMessages: n(100_000),
    deepOffset: n(90_000),
    vocabulary: 4_000,
  };
}

/** Total messages of the workload. */
export function totalMessages(w: Workload): number {
  return w.directMessages + w.groupMessages + w.busyMessages;
}

/** 2025-01-01T00:00:00Z in ms: the start of the generated history. */
export const T0 = 1_735_689_600_000;

const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'ru', 'ta', 'vo', 'zi', 'pe', 'su', 'da', 'fo', 'gu', 'hi', 'ja', 'be', 'co', 'wy', 'xe', 'qu'];

/**
 * Word number `i` of the vocabulary: three syllables, six letters, so `ILIKE '%word%'` and a
 * full-text match find exactly the same messages (no word is a substring of another across spaces).
 */
export function word(i: number): string {
  const s = SYLLABLES;
  return s[i % 20]! + s[Math.floor(i / 20) % 20]! + s[Math.floor(i / 400) % 20]!;
}

/**
 * Write W1 into schema `w1`: `users`, `convs` (with message count, the one member who has an
 * unread tail and its length), `members` (position within the conversation) and `messages`.
 *
 * Shape: direct pair i joins users a = i mod U and a + 1 + 37·⌊i/U⌋; group g has members
 * (7g + 331m) mod U; the busy channel has every (U/busyMembers)-th user. Messages are spread evenly
 * (35 per direct, 300 per group at full scale); in 20% of conversations member 0 has 1–5 unread
 * messages at the end, all sent by member 1; everything else is read by everyone.
 */
export async function generateW1(sql: Sql, w: Workload): Promise<void> {
  const U = w.users;
  const perDirect = Math.round(w.directMessages / w.directs);
  const perGroup = Math.round(w.groupMessages / w.groups);
  const busyIdx = w.directs + w.groups;
  const stride = Math.max(1, Math.floor(U / w.busyMembers));
  const syl = `array[${SYLLABLES.map((s) => `'${s}'`).join(',')}]`;
  await sql.exec(`
    drop schema if exists w1 cascade;
    create schema w1;
    create function w1.word(i int) returns text language sql immutable as
      $$ select (${syl})[1 + i % 20] || (${syl})[1 + (i / 20) % 20] || (${syl})[1 + (i / 400) % 20] $$;
    create table w1.users as
      select i as idx, 'u' || lpad(i::text, 6, '0') as id, md5('user' || i)::uuid as uid, 'User ' || i as name
      from generate_series(0, ${U - 1}) i;
    create table w1.convs as
      select i as idx, md5('conv' || i)::uuid as id, 'direct' as kind, null::text as title, ${perDirect} as n
      from generate_series(0, ${w.directs - 1}) i
      union all
      select ${w.directs} + g, md5('conv' || (${w.directs} + g))::uuid, 'group', 'Group ' || g, ${perGroup}
      from generate_series(0, ${w.groups - 1}) g
      union all
      select ${busyIdx}, md5('conv' || ${busyIdx})::uuid, 'channel', 'Busy channel', ${w.busyMessages};
    alter table w1.convs
      add column start_at bigint, add column step bigint, add column unread_k int;
    update w1.convs set
      start_at = ${T0} + (idx::bigint * 7919 * 1000) % (30 * 86400000::bigint),
      step = case when kind = 'channel' then 20000 else 60000 * (1 + idx % 13) end,
      unread_k = case when kind = 'channel' then 3 when idx % 5 = 0 then 1 + (idx / 5) % 5 else 0 end;
    create table w1.members as
      select c.idx as conv_idx, m.pos, m.user_idx from w1.convs c
      cross join lateral (
        select 0 as pos, c.idx % ${U} as user_idx
        union all select 1, (c.idx % ${U} + 1 + 37 * (c.idx / ${U})) % ${U}
      ) m where c.kind = 'direct'
      union all
      select c.idx, m, ((c.idx - ${w.directs}) * 7 + m * 331) % ${U}
      from w1.convs c cross join generate_series(0, ${w.groupSize - 1}) m where c.kind = 'group'
      union all
      select ${busyIdx}, p, p * ${stride} from generate_series(0, ${w.busyMembers - 1}) p;
    create index on w1.members (conv_idx, pos);
    alter table w1.convs add column member_count int;
    update w1.convs c set member_count = (select count(*) from w1.members m where m.conv_idx = c.idx);
    select setseed(0.42);
    create table w1.messages as
      select x.conv_idx, x.pos, x.at, mb.user_idx as sender_idx, x.text from (
        select c.idx as conv_idx, p.pos, c.start_at + p.pos * c.step as at,
          case when p.pos > c.n - c.unread_k then 1 else (hashint4(c.idx * 7 + p.pos) & 1048575) % c.member_count end as sender_pos,
          (select string_agg(w1.word(floor(exp(random() * ln(${w.vocabulary})))::int - 1), ' ')
             from generate_series(1, 3 + (c.idx * 7 + p.pos * 13) % 10)) as text
        from w1.convs c cross join lateral generate_series(1, c.n) p(pos)
      ) x join w1.members mb on mb.conv_idx = x.conv_idx and mb.pos = x.sender_pos;
    analyze w1.users; analyze w1.convs; analyze w1.members; analyze w1.messages;
  `);
}

/** Drop the staging schema. */
export async function dropW1(sql: Sql): Promise<void> {
  await sql.exec('drop schema if exists w1 cascade');
}
