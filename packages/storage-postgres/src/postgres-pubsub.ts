import { createHash } from 'node:crypto';
import type { BusMessage, PubSub, Unsubscribe } from '@parley/core';
import { checkSchemaName } from './tables.js';

/** A notification as `pg` delivers it. */
export interface PgNotification {
  channel: string;
  payload?: string | undefined;
}

/**
 * The part of a connected `pg.Client` the bus uses. Give the bus dedicated clients (not pooled
 * ones): one holds the LISTENs, one sends the NOTIFYs.
 */
export interface PgClientLike {
  query(text: string, params?: unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>;
  on(event: 'notification', listener: (message: PgNotification) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  end(): Promise<void>;
}

/** Options of {@link createPostgresPubSub}. */
export interface PostgresPubSubOptions {
  /**
   * Open and connect a new dedicated client, e.g.
   * `async () => { const c = new pg.Client({ connectionString }); await c.connect(); return c; }`.
   * Called for the listener and the publisher, and again after a lost connection.
   */
  connect: () => Promise<PgClientLike>;
  /** Postgres schema holding `bus_payloads` (as given to `migrate`). Default: the search_path. */
  schema?: string;
  /** Channel name prefix, so several deployments can share one database. Default `parley`. */
  channelPrefix?: string;
  /** Serialised messages larger than this many bytes travel through `bus_payloads`. Default 7900 (NOTIFY allows < 8000). */
  maxInlineBytes?: number;
  /** How long stored large payloads are kept for slow readers. Default 60 000 ms. */
  payloadTtlMs?: number;
  /** Delay before reconnecting a lost listener; doubles up to 5 s. Default 100 ms. */
  reconnectDelayMs?: number;
}

interface Envelope {
  /** topic */
  t: string;
  /** message */
  m: BusMessage;
}

/**
 * A {@link PubSub} on Postgres LISTEN/NOTIFY, for several processes sharing one Postgres server
 * (not PGlite: it has no second session). Topics map to hashed channel names; messages larger
 * than a NOTIFY payload are stored in `bus_payloads` and the notification carries their id.
 * A lost listener connection is re-opened, its LISTENs restored, and `onReset` listeners called.
 */
export function createPostgresPubSub(options: PostgresPubSubOptions): PubSub {
  const schema = checkSchemaName(options.schema);
  const payloadTable = schema === undefined ? 'bus_payloads' : `"${schema}".bus_payloads`;
  const prefix = (options.channelPrefix ?? 'parley').replace(/[^a-z0-9_]/gi, '_').slice(0, 20);
  const maxInline = options.maxInlineBytes ?? 7900;
  const ttlMs = options.payloadTtlMs ?? 60_000;
  const baseDelay = options.reconnectDelayMs ?? 100;

  const handlers = new Map<string, Set<(message: BusMessage) => void>>();
  const resetListeners = new Set<(reason: string) => void>();
  const channelOf = (topic: string) => `${prefix}_${createHash('sha256').update(topic).digest('hex').slice(0, 40)}`;
  let closed = false;

  // ---------------------------------------------------------------- publisher
  let publisher: Promise<PgClientLike> | null = null;
  const openPublisher = () => {
    if (!publisher) {
      const opening = options.connect().then((client) => {
        const drop = () => {
          if (publisher === opening) publisher = null;
        };
        client.on('error', drop);
        client.on('end', drop);
        return client;
      });
      opening.catch(() => {
        if (publisher === opening) publisher = null;
      });
      publisher = opening;
    }
    return publisher;
  };

  // ----------------------------------------------------------------- listener
  let listener: PgClientLike | null = null;
  let listenerReady: Promise<PgClientLike> | null = null;
  let delivery: Promise<void> = Promise.resolve();

  const dispatch = (envelope: Envelope) => {
    const set = handlers.get(envelope.t);
    if (!set) return;
    const text = JSON.stringify(envelope.m);
    for (const handler of [...set]) {
      queueMicrotask(() => {
        try {
          handler(JSON.parse(text) as BusMessage);
        } catch {
          // a failing handler must not affect the others
        }
      });
    }
  };

  const onNotification = (client: PgClientLike) => (note: PgNotification) => {
    const payload = note.payload ?? '';
    // keep arrival order, also while a large payload is being fetched
    delivery = delivery.then(async () => {
      try {
        let text = payload;
        if (payload.startsWith('@')) {
          const found = await client.query(`select payload from ${payloadTable} where id = $1`, [payload.slice(1)]);
          const row = found.rows[0];
          if (!row) return; // expired before we read it
          text = String(row.payload);
        }
        const envelope = JSON.parse(text) as Envelope;
        if (channelOf(envelope.t) === note.channel) dispatch(envelope);
      } catch {
        // a malformed or unreadable notification is dropped
      }
    });
  };

  const connectListener = async (): Promise<PgClientLike> => {
    let delay = baseDelay;
    for (;;) {
      if (closed) throw new Error('pubsub closed');
      try {
        const client = await options.connect();
        client.on('notification', onNotification(client));
        let lost = false;
        const onLost = (reason: string) => {
          if (lost || closed) return;
          lost = true;
          if (listener === client) listener = null;
          listenerReady = connectListener().then((next) => {
            for (const l of [...resetListeners]) {
              try {
                l(reason);
              } catch {
                // listeners must not break the bus
              }
            }
            return next;
          });
          listenerReady.catch(() => {});
        };
        client.on('error', (error) => onLost(`listener connection lost: ${error.message}`));
        client.on('end', () => onLost('listener connection ended'));
        for (const topic of handlers.keys()) await client.query(`listen "${channelOf(topic)}"`);
        listener = client;
        return client;
      } catch (error) {
        if (closed) throw error;
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, 5_000);
      }
    }
  };
  const readyListener = () => (listenerReady ??= connectListener());

  return {
    async publish(topic, message) {
      if (closed) throw new Error('pubsub closed');
      const channel = channelOf(topic);
      const text = JSON.stringify({ t: topic, m: message } satisfies Envelope);
      const client = await openPublisher();
      if (Buffer.byteLength(text, 'utf8') <= maxInline) {
        await client.query('select pg_notify($1, $2)', [channel, text]);
        return;
      }
      await client.query(
        `with old as (delete from ${payloadTable} where created_at < now() - make_interval(secs => $3::float8 / 1000)),
          p as (insert into ${payloadTable} (payload) values ($2) returning id)
        select pg_notify($1, '@' || p.id) from p`,
        [channel, text, ttlMs],
      );
    },
    async subscribe(topic, handler) {
      if (closed) throw new Error('pubsub closed');
      let set = handlers.get(topic);
      const first = !set;
      if (!set) handlers.set(topic, (set = new Set()));
      const entry = (message: BusMessage) => handler(message);
      set.add(entry);
      const client = await readyListener();
      if (first && listener === client) await client.query(`listen "${channelOf(topic)}"`);
      return (async () => {
        const current = handlers.get(topic);
        if (!current || !current.delete(entry)) return;
        if (current.size > 0) return;
        handlers.delete(topic);
        if (listener && !closed) await listener.query(`unlisten "${channelOf(topic)}"`).catch(() => {});
      }) satisfies Unsubscribe;
    },
    onReset(l) {
      resetListeners.add(l);
      return () => {
        resetListeners.delete(l);
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      handlers.clear();
      const clients = [listener, await publisher?.catch(() => null)];
      listener = null;
      publisher = null;
      for (const client of clients) await client?.end().catch(() => {});
    },
  };
}
