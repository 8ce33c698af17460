import type { ChatStore, EventsQuery } from '@parley/core';
import type { Kysely } from 'kysely';
import { PrimaryFloor, primaryLsn, replayedLsn } from './replica-position.js';

/** Tuning of read replicas (see {@link PostgresStoreOptions.replicas}). Every field has a default. */
export interface ReplicaOptions {
  /** After a replica failed (down, refused, a query error), it is left alone this long. Default 1,000 ms. */
  retryAfterFailureMs: number;
  /** After a replica was found behind this node's floor, reads go to the primary this long before it is asked again. Default 25 ms. */
  retryBehindMs: number;
  /**
   * A replica that has not answered within this long counts as failed and the primary answers (the
   * replica's statement is left to finish or fail on its own connection). Default 2,000 ms.
   */
  timeoutMs: number;
}

/** The defaults of {@link ReplicaOptions}. */
export const DEFAULT_REPLICA_OPTIONS: Readonly<ReplicaOptions> = Object.freeze({ retryAfterFailureMs: 1000, retryBehindMs: 25, timeoutMs: 2000 });

/**
 * Reads a replica may answer. Everything a user reads back (history, search, inbox, sync, receipts,
 * member lists, call history, profiles, contacts).
 */
const REPLICA_READS = new Set<string>([
  'events', 'getMessage', 'mutationsOf', 'originalTexts', 'search', 'inbox', 'unreadTotal', 'changedMemberships',
  'hiddenSeqs', 'receipts', 'listMembers', 'listCalls', 'searchUsers', 'listChannels', 'getUsers', 'listContacts',
]);

/**
 * Reads that stay on the primary: the engine's checks before a write (membership, roles, blocks,
 * the direct pair, the live call) and the fan-out's member list, which must be the newest state.
 * They show nothing to the user by themselves, so they do not move the floor.
 */
const PRIMARY_READS = new Set<string>([
  'getMember', 'getConversation', 'findDirect', 'memberIds', 'getContact', 'isBlockedEitherWay', 'sharesConversation',
  'getCall', 'activeCall', 'restrictions', 'getReport', 'listReports', 'reportCounts',
]);

/** Most conversations whose replayed `lastSeq` is remembered per replica. */
const SEQ_CACHE_SIZE = 10_000;

interface Replica {
  db: Kysely<unknown>;
  store: ChatStore;
  /** Replayed position last seen (a replica only moves forward). */
  replayed: bigint;
  /** Not asked before this time (ms, `performance.now()`). */
  idleUntil: number;
  /** `lastSeq` per conversation as last read on this replica. */
  seqs: Map<string, number>;
}

type Method = (...args: unknown[]) => Promise<unknown>;

/**
 * A store that sends writes and checks to the primary and lets streaming replicas answer reads,
 * never older than what this node wrote or showed (see docs/storage-postgres.md, "Read replicas"):
 *
 * - A replica answers only once it has replayed the primary's WAL position taken after this node's
 *   latest write and latest primary-answered read ({@link PrimaryFloor}): read-your-writes and
 *   monotonic reads for every session on the node.
 * - A history read that names a seq (`after`, `before`, `maxSeq`) is answered by a replica only if
 *   its copy of the conversation reached that seq, so a client that resumes on another node never
 *   gets a page older than what it holds. A message the replica does not have is asked of the primary.
 * - A replica that fails or is behind is skipped; the primary answers. A replica is never the reason
 *   a read fails.
 */
export function routeReads(
  primary: { db: Kysely<unknown>; store: ChatStore },
  replicas: Array<{ db: Kysely<unknown>; store: ChatStore }>,
  options: Partial<ReplicaOptions> = {},
): ChatStore {
  const tuning = { ...DEFAULT_REPLICA_OPTIONS, ...options };
  const floor = new PrimaryFloor(() => primaryLsn(primary.db));
  const pool: Replica[] = replicas.map((r) => ({ ...r, replayed: -1n, idleUntil: 0, seqs: new Map() }));
  let lastServer: Replica | undefined;
  const base = primary.store as unknown as Record<string, Method>;

  const within = <T>(work: Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`replica did not answer within ${tuning.timeoutMs} ms`)), tuning.timeoutMs);
      work.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });

  const onPrimary = async (name: string, args: unknown[]): Promise<unknown> => {
    try {
      return await base[name]!(...args);
    } finally {
      floor.dirty();
    }
  };

  /** A replica that has replayed at least `lsn`, or none. */
  const caughtUp = async (lsn: bigint): Promise<Replica | undefined> => {
    for (const r of pool) {
      if (performance.now() < r.idleUntil) continue;
      if (r.replayed < lsn) {
        try {
          r.replayed = await within(replayedLsn(r.db));
        } catch {
          r.idleUntil = performance.now() + tuning.retryAfterFailureMs;
          continue;
        }
      }
      if (r.replayed >= lsn) return r;
      r.idleUntil = performance.now() + tuning.retryBehindMs;
    }
    return undefined;
  };

  /** Whether the replica's copy of the conversation reached `seq`. */
  const reached = async (r: Replica, conversationId: string, seq: number): Promise<boolean> => {
    if ((r.seqs.get(conversationId) ?? 0) >= seq) return true;
    const conversation = await r.store.getConversation(conversationId);
    if (conversation === null) return false;
    r.seqs.delete(conversationId);
    r.seqs.set(conversationId, conversation.lastSeq);
    if (r.seqs.size > SEQ_CACHE_SIZE) r.seqs.delete(r.seqs.keys().next().value!);
    return conversation.lastSeq >= seq;
  };

  /** The replica's answer, or undefined when the primary must answer instead. */
  const fromReplica = async (r: Replica, name: string, args: unknown[]): Promise<{ value: unknown } | undefined> => {
    if (name === 'events') {
      const q = args[0] as EventsQuery;
      const named = Math.max(q.after ?? 0, q.before !== undefined ? q.before - 1 : 0, q.maxSeq ?? 0);
      if (named > 0 && !(await reached(r, q.conversationId, named))) return undefined;
    }
    const value = await (r.store as unknown as Record<string, Method>)[name]!(...args);
    if (name === 'getMessage' && value === null) return undefined;
    return { value };
  };

  const read = async (name: string, args: unknown[]): Promise<unknown> => {
    if (pool.every((r) => performance.now() < r.idleUntil)) return onPrimary(name, args);
    // switching replicas: the new one must have what the previous one showed, which the primary's
    // current position covers
    let lsn = await floor.current();
    let r = await caughtUp(lsn);
    if (r !== undefined && lastServer !== undefined && r !== lastServer) {
      floor.dirty();
      lsn = await floor.current();
      r = await caughtUp(lsn);
    }
    if (r === undefined) return onPrimary(name, args);
    try {
      const answer = await within(fromReplica(r, name, args));
      if (answer === undefined) return await onPrimary(name, args);
      lastServer = r;
      return answer.value;
    } catch {
      r.idleUntil = performance.now() + tuning.retryAfterFailureMs;
      return onPrimary(name, args);
    }
  };

  const routed: Record<string, unknown> = { capabilities: primary.store.capabilities };
  for (const [name, member] of Object.entries(base)) {
    // parts that are not methods (the feed, push devices) are state of their own: on the primary
    if (typeof member !== 'function') routed[name] ??= member;
    else if (REPLICA_READS.has(name)) routed[name] = (...args: unknown[]) => read(name, args);
    else if (PRIMARY_READS.has(name)) routed[name] = (...args: unknown[]) => member(...args);
    // anything else is a write (or a method this router does not know yet): primary, and the floor moves
    else routed[name] = (...args: unknown[]) => onPrimary(name, args);
  }
  return routed as unknown as ChatStore;
}
