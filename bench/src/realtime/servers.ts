import type { ChildProcess } from 'node:child_process';
import type { ClientReport, RealtimeStore, ServerKind, ServerMemory, ServerReady } from './messages.js';
import { nextMessage } from './procs.js';

/** One server compared in the real-time section: its protocol, and for Parley the store behind it. */
export interface ServerSpec {
  /** Unique name, used in load-generator group names (`fan-<name>`). */
  name: string;
  kind: ServerKind;
  store?: RealtimeStore;
  label: string;
}

/** A running server child. */
export interface RunningServer extends ServerSpec {
  proc: ChildProcess;
  ready: ServerReady;
}

/** Every wait on a child is bounded. */
export const TIMEOUT = 120_000;

const STORE_LABEL: Record<RealtimeStore, string> = { memory: 'in-memory store', postgres: 'Postgres server store', pglite: 'Postgres store on PGlite' };

/** The servers of a run: Parley on each store, raw `ws` (the ceiling) and Socket.IO 4. */
export function serverSpecs(stores: RealtimeStore[]): ServerSpec[] {
  return [
    ...stores.map((store): ServerSpec => ({ name: store === 'memory' ? 'parley' : `parley-${store}`, kind: 'parley', store, label: `Parley (transport-ws, ${STORE_LABEL[store]})` })),
    { name: 'ws', kind: 'ws', label: 'raw ws (ceiling)' },
    { name: 'socketio', kind: 'socketio', label: 'Socket.IO 4' },
  ];
}

/** Split `users` over the load generators and open them as `group` on every one; resolves when all are connected. */
export async function openEverywhere(loaders: ChildProcess[], kind: ServerKind, port: number, group: string, users: string[]): Promise<void> {
  const waits = loaders.map((l, i) => {
    const mine = users.filter((_, j) => j % loaders.length === i);
    const wait = nextMessage<ClientReport>(l, (m) => m.type === 'opened' && m.group === group, TIMEOUT);
    l.send({ type: 'open', kind, port, group, users: mine });
    return wait;
  });
  await Promise.all(waits);
}

/** Close `group` on every load generator. */
export async function closeEverywhere(loaders: ChildProcess[], group: string): Promise<void> {
  await Promise.all(
    loaders.map((l) => {
      const wait = nextMessage<ClientReport>(l, (m) => m.type === 'closed' && m.group === group, TIMEOUT);
      l.send({ type: 'close', group });
      return wait;
    }),
  );
}

/** RSS and heap of a server child after GC. */
export async function memoryOf(server: ChildProcess): Promise<ServerMemory> {
  const wait = nextMessage<ServerMemory>(server, (m) => m.type === 'memory', TIMEOUT);
  server.send({ type: 'memory' });
  return wait;
}
