/** IPC between the orchestrator and its child processes (servers and load generators). */

/** The servers compared. */
export type ServerKind = 'parley' | 'ws' | 'socketio';

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
  | { type: 'exit' };

/** Load generator -> orchestrator. */
export type ClientReport =
  | { type: 'opened'; group: string; count: number }
  | { type: 'closed'; group: string }
  | { type: 'sent'; group: string; at: number }
  /** Every socket of `group` in this process received fan-out message `k`; `last` is the last arrival (epoch ms, sub-ms). */
  | { type: 'fanDone'; group: string; k: number; last: number; bytes: number }
  | { type: 'pairsDone'; group: string; received: number; latencies: number[] };

/** Wall-clock time in ms with sub-millisecond resolution, comparable across processes on one machine. */
export const wallNow = (): number => performance.timeOrigin + performance.now();

/** The marker of fan-out message k inside any payload. */
export const fanMarker = (k: number): string => `fanout-${k}-`;

/** Parse the fan-out number out of a payload, or -1. */
export function fanNumber(text: string): number {
  const m = /fanout-(\d+)-/.exec(text);
  return m ? Number(m[1]) : -1;
}
