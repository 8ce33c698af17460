import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/** A WAL position (`pg_lsn` as text, `X/Y`) as a number that compares. */
export function parseLsn(text: string): bigint {
  const [hi, lo] = text.split('/');
  if (hi === undefined || lo === undefined) throw new Error(`not a pg_lsn: ${JSON.stringify(text)}`);
  return (BigInt(`0x${hi}`) << 32n) | BigInt(`0x${lo}`);
}

/** The primary's WAL insert position: at or past the commit record of every transaction that returned. */
export async function primaryLsn(db: Kysely<unknown>): Promise<bigint> {
  const { rows } = await sql<{ lsn: string }>`select pg_current_wal_insert_lsn()::text as lsn`.execute(db);
  return parseLsn(rows[0]!.lsn);
}

/**
 * How far a replica has replayed. On a server that is not in recovery (a primary given as a
 * replica by mistake, or a promoted standby) it is the current position: it is never behind.
 */
export async function replayedLsn(db: Kysely<unknown>): Promise<bigint> {
  const { rows } = await sql<{ lsn: string }>`select coalesce(pg_last_wal_replay_lsn(), pg_current_wal_insert_lsn())::text as lsn`.execute(db);
  return parseLsn(rows[0]!.lsn);
}

/**
 * The lowest WAL position a replica must have replayed before it may answer a read of this node:
 * past every write this node made and everything it showed from the primary.
 *
 * Something that may have changed what the primary shows (a write that settled, or a read the
 * primary answered) calls {@link dirty}; the next {@link current} then asks the primary for its
 * position once, shared by every read waiting at that moment. A position asked for *after* an event
 * settled covers it, so a fetch started before the latest {@link dirty} is never reused for it.
 */
export class PrimaryFloor {
  readonly #fetch: () => Promise<bigint>;
  #generation = 0;
  #value = 0n;
  #valueGeneration = -1;
  #inFlight: { generation: number; position: Promise<bigint> } | undefined;

  constructor(fetch: () => Promise<bigint>) {
    this.#fetch = fetch;
  }

  /** Something settled that the next read must not see older than. */
  dirty(): void {
    this.#generation += 1;
  }

  /** The floor covering everything that settled before this call. */
  current(): Promise<bigint> {
    const needed = this.#generation;
    if (this.#valueGeneration >= needed) return Promise.resolve(this.#value);
    if (this.#inFlight !== undefined && this.#inFlight.generation >= needed) return this.#inFlight.position;
    const position = this.#fetch().then(
      (lsn) => {
        if (lsn > this.#value) this.#value = lsn;
        if (needed > this.#valueGeneration) this.#valueGeneration = needed;
        return this.#value;
      },
    );
    const entry = { generation: needed, position };
    this.#inFlight = entry;
    const clear = () => {
      if (this.#inFlight === entry) this.#inFlight = undefined;
    };
    position.then(clear, clear);
    return position;
  }
}
