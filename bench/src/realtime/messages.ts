/** IPC between the orchestrator and its child processes (servers and load generators). */

/** The servers compared: Parley, raw `ws`, Socket.IO 4 broadcast, and the home-grown Socket.IO 4 + `pg` chat server on seed 000's schema. */
export type ServerKind = 'parley' | 'ws' | 'socketio' | 'homegrown';

/**
 * Options of a server child beyond the positional arguments (passed as JSON, argv[5]).
 * `schema`/`owner`: a Parley Postgres store in a named schema; only the owner migrates, creates the
 * users and drops the schema (cluster nodes attach to the owner's schema). `redisPrefix`: fan-out
 * over Redis (`@parley/pubsub-redis`). `load`: limits for load runs (per-user rate limits lifted,
 * every other limit, admission control included, at its default).
 */
export interface ServerOptions {
  schema?: string;
  owner?: boolean;
  redisPrefix?: string;
  load?: boolean;
}

/** Server child -> orchestrator: `process.cpuUsage()` of the server process (microseconds). */
export interface ServerCpu {
  type: 'cpu';
  user: number;
  system: number;
  /** SQL statements sent to the database so far (see round-trips.ts). */
  sqlRoundTrips: number;
}

/** The store behind a Parley server child: in memory, the Postgres server at `PARLEY_PG_URL`, or PGlite. */
export type RealtimeStore = 'memory' | 'postgres' | 'pglite';

/** Sent by a server child once it listens. */
export interface ServerReady {
  type: 'ready';
  port: number;
  /** Conversation id of the fan-out channel (Parley) or room name. */
  channelId: string;
  /** Direct conversation ids of the 1:1 pairs (Parley), in pair order. */
  pairIds: string[];
}

/** Memory of a server child after two GCs. */
export interface ServerMemory {
  type: 'memory';
  rss: number;
  heap: number;
}

/** Orchestrator -> load generator. */
export type ClientCommand =
  | { type: 'open'; kind: ServerKind; port: number; group: string; users: string[] }
  | { type: 'close'; group: string }
  | { type: 'pairs'; kind: ServerKind; group: string; pairIds: string[]; seconds: number }
  /** Send `text` on the first connection of `group` (Socket.IO: as the `msg` event). */
  | { type: 'send'; group: string; text: string }
  | LoopCommand
  | { type: 'exit' };

/** Orchestrator -> load generator: the end-to-end loops (closed and open) of issue 14. */
export type LoopCommand =
  /** Open pairs `a<i>` (on `senderPort`) and `b<i>` (on `receiverPort`) for the pair indices given. */
  | { type: 'loopOpen'; group: string; kind: 'parley' | 'homegrown'; senderPort: number; receiverPort: number; pairs: number[]; pairIds: string[] }
  /**
   * Run one loop for `seconds`. Closed: each sender sends its next message when its peer received the
   * previous one. Open: `rate` msgs/s (this process's share) spread round-robin over its pairs.
   * A message not received within `deadlineMs` of its send is a timeout.
   */
  | { type: 'loop'; group: string; mode: 'closed' | 'open'; seconds: number; rate: number; deadlineMs: number }
  | { type: 'loopClose'; group: string };

/** What one loop run counted in one load generator. */
export interface LoopStats {
  /** Sends written to the socket during the window. */
  sent: number;
  /** Sends answered ok by the server. */
  acked: number;
  /** Distinct messages received by the peer (any time before the drain ended). */
  received: number;
  /** Received within the window and within `deadlineMs` of their send (goodput, closed loop: throughput). */
  onTime: number;
  /** Received, but later than `deadlineMs` after their send. */
  late: number;
  /** A message received a second time. */
  duplicates: number;
  /** Received by a peer that was not its addressee, or never sent. */
  unexpected: number;
  /** A straggler of an earlier run of this process (not counted anywhere else). */
  stale: number;
  /** Refused at once with a retryable error (`RATE_LIMITED` / `UNAVAILABLE` carrying `retryAfterMs`). */
  refused: number;
  /** Other error replies, by code. */
  errors: Record<string, number>;
  /** Neither refused nor errored, and not received within `deadlineMs`. */
  timeouts: number;
  /** Acked ok but never received (after the drain): lost messages. */
  lost: number;
  /** Send-to-receive latencies (ms) of every message received (late ones included). */
  latencies: number[];
  /** Length of the window, ms (as measured). */
  windowMs: number;
}

/** Load generator -> orchestrator. */
export type ClientReport =
  | { type: 'opened'; group: string; count: number }
  | { type: 'closed'; group: string }
  | { type: 'sent'; group: string; at: number }
  /** Every socket of `group` in this process received fan-out message `k`; `last` is the last arrival (epoch ms, sub-ms). */
  | { type: 'fanDone'; group: string; k: number; last: number; bytes: number }
  | { type: 'pairsDone'; group: string; received: number; latencies: number[] }
  | { type: 'loopOpened'; group: string; count: number }
  | { type: 'loopDone'; group: string; stats: LoopStats }
  | { type: 'loopClosed'; group: string };

/** Wall-clock time in ms with sub-millisecond resolution, comparable across processes on one machine. */
export const wallNow = (): number => performance.timeOrigin + performance.now();

/** The marker of fan-out message k inside any payload. */
export const fanMarker = (k: number): string => `fanout-${k}-`;

/** Parse the fan-out number out of a payload, or -1. */
export function fanNumber(text: string): number {
  const m = /fanout-(\d+)-/.exec(text);
  return m ? Number(m[1]) : -1;
}
