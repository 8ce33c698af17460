import { createUuidV7 } from '@parley/core';
import type { ChatStore, EventDraft } from '@parley/core';
import { seedSend } from '../db/seed000.js';
import { median, rng } from '../stats.js';
import { word } from '../workload.js';
import type { ConvRef, Fixture } from './fixture.js';

/** Sends per second of each variant: the median over repetitions, and the median per-repetition ratio to the ceiling. */
export interface SendResult {
  name: string;
  /** Median sends per second. */
  perSecond: number;
  /** Median over repetitions of (this variant / raw insert in the same repetition). */
  ratioToCeiling: number;
  runs: number[];
}

/** How long and how often to run each variant. */
export interface SendPlan {
  concurrency: number;
  seconds: number;
  repetitions: number;
}

/** One send of worker `worker`'s n-th message. */
export type Sender = (worker: number, n: number) => Promise<void>;

/** Run `send` from `concurrency` workers until the deadline; returns sends per second. */
export async function drive(send: Sender, plan: SendPlan): Promise<number> {
  const deadline = Date.now() + plan.seconds * 1000;
  let count = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: plan.concurrency }, async (_, worker) => {
      for (let n = 0; Date.now() < deadline; n++) {
        await send(worker, n);
        count++;
      }
    }),
  );
  return count / (Number(process.hrtime.bigint() - start) / 1e9);
}

/** Sending worker `w`'s n-th message: its own slice of conversations, so senders do not queue on one row. */
export const slot = (list: readonly ConvRef[], concurrency: number, w: number, n: number): { conv: ConvRef; sender: number } => {
  const mine = Math.floor(list.length / concurrency);
  const conv = list[w + concurrency * (n % Math.max(1, mine))]!;
  return { conv, sender: n % conv.members.length };
};

/** Texts of sent messages: 8 words from the 400 most frequent, drawn from a seeded generator. */
export function sendText(seed: number): () => string {
  const r = rng(seed);
  return () => Array.from({ length: 8 }, () => word(Math.floor(r() * 400))).join(' ');
}

/** Append one text message from `senderId` into `conversationId` through `store.append` (as the engine does). */
export function appendOne(store: ChatStore): (conversationId: string, senderId: string) => Promise<void> {
  const ids = createUuidV7();
  const text = sendText(7);
  let clientSeq = 0;
  return async (conversationId, senderId) => {
    const at = Date.now();
    const draft = {
      type: 'message',
      conversationId,
      actorId: senderId,
      at,
      message: {
        conversationId, id: ids.next(), senderId, kind: 'text', text: text(), attachments: [], replyTo: null, mentions: [],
        reactions: {}, clientId: `bench-${process.pid}-${clientSeq++}`, call: null, metadata: {}, pinned: false, createdAt: at,
        editedAt: null, deletedAt: null,
      },
    } as EventDraft;
    await store.append({ draft, requireActiveMember: senderId });
  };
}

/** A sender that appends text messages through `store.append`, each worker in its own slice of `list`. */
export function appendSender(store: ChatStore, concurrency: number): (list: readonly ConvRef[]) => Sender {
  const append = appendOne(store);
  return (list) => async (w, n) => {
    const { conv, sender } = slot(list, concurrency, w, n);
    await append(conv.id, conv.members[sender]!.id);
  };
}

/** Measure Parley (store.append), the seed 000 send and the raw-insert ceiling, in alternating repetitions. */
export async function measureSends(f: Fixture, plan: SendPlan): Promise<SendResult[]> {
  const { sql, store } = f;
  await sql.exec('drop schema if exists raw cascade; create schema raw; create table raw.messages (conversation_id uuid not null, sender_id text not null, at bigint not null, text text)');
  const parley = appendSender(store, plan.concurrency);
  const text = sendText(8);
  const seed = (list: readonly ConvRef[]): Sender => async (w, n) => {
    const { conv, sender } = slot(list, plan.concurrency, w, n);
    await seedSend(sql, conv.id, conv.members[sender]!.uid, text());
  };
  const raw: Sender = async (w, n) => {
    const { conv, sender } = slot(f.directs, plan.concurrency, w, n);
    await sql.query('insert into raw.messages (conversation_id, sender_id, at, text) values ($1, $2, $3, $4)', [conv.id, conv.members[sender]!.id, Date.now(), text()]);
  };
  const variants: Array<[string, Sender]> = [
    ['raw single-row INSERT ... COMMIT (ceiling)', raw],
    ['Parley append, 1:1', parley(f.directs)],
    ['Parley append, 30-member groups', parley(f.groups)],
    ['seed 000 send, 1:1', seed(f.directs)],
    ['seed 000 send, 30-member groups', seed(f.groups)],
  ];
  const results = await rotate(variants, plan);
  await sql.exec('drop schema if exists raw cascade');
  return results;
}

/**
 * ONE hot conversation (the busy channel): `concurrency` senders (members taking turns) append into
 * it at once, beside the raw single-row INSERT ceiling driven by as many concurrent callers, on the
 * same pools (so both queue alike for connections).
 */
export async function measureHot(f: Fixture, plan: SendPlan): Promise<SendResult[]> {
  const { sql, store } = f;
  await sql.exec('drop schema if exists raw_hot cascade; create schema raw_hot; create table raw_hot.messages (conversation_id uuid not null, sender_id text not null, at bigint not null, text text)');
  const append = appendOne(store);
  const text = sendText(9);
  const members = f.busy.members;
  const raw: Sender = async (w) => {
    await sql.query('insert into raw_hot.messages (conversation_id, sender_id, at, text) values ($1, $2, $3, $4)', [f.busy.id, members[w % members.length]!.id, Date.now(), text()]);
  };
  const hot: Sender = (w, n) => append(f.busy.id, members[(w + n * plan.concurrency) % members.length]!.id);
  const results = await rotate([['raw single-row INSERT ... COMMIT (ceiling)', raw], ['Parley append into one conversation', hot]], plan);
  await sql.exec('drop schema if exists raw_hot cascade');
  return results;
}

/** Drive every variant `plan.repetitions` times, rotating the order every repetition; the first variant is the ceiling. */
export async function rotate(variants: Array<[string, Sender]>, plan: SendPlan): Promise<SendResult[]> {
  const runs = variants.map(() => [] as number[]);
  for (let rep = 0; rep < plan.repetitions; rep++) {
    // Rotate the order every repetition so no variant always runs first or last.
    for (let k = 0; k < variants.length; k++) {
      const v = (k + rep) % variants.length;
      runs[v]!.push(await drive(variants[v]![1], plan));
    }
  }
  return variants.map(([name], v) => ({
    name,
    perSecond: median(runs[v]!),
    ratioToCeiling: median(runs[v]!.map((x, rep) => x / runs[0]![rep]!)),
    runs: runs[v]!,
  }));
}
