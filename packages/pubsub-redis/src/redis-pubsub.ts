import type { BusMessage, PubSub, Unsubscribe } from '@parley/core';
import type { Cluster, Redis } from 'ioredis';
import { keySlot } from './key-slot.js';

/** A single Redis (`Redis`) or a Redis Cluster (`Cluster`) client of ioredis. */
export type RedisClient = Redis | Cluster;

/** True for an ioredis `Cluster` client. */
export const isCluster = (client: RedisClient): client is Cluster => client.isCluster;

/** Where the bus gets its two Redis connections. */
export type RedisPubSubConnections =
  /**
   * One client: it publishes, and a dedicated subscriber connection is made with `redis.duplicate()`
   * (or by `subscriber` when given: a client or a factory). For a `Cluster`, the duplicate has
   * `shardedSubscribers: true` (one subscriber connection per primary, needed for SSUBSCRIBE).
   */
  | { redis: RedisClient; subscriber?: RedisClient | (() => RedisClient) }
  /**
   * Two clients: `publisher` publishes, `subscriber` is used for nothing but (S)SUBSCRIBE. A `Cluster`
   * subscriber MUST be created with `shardedSubscribers: true`.
   */
  | { publisher: RedisClient; subscriber: RedisClient | (() => RedisClient) };

/** Options of {@link createRedisPubSub}. */
export type RedisPubSubOptions = RedisPubSubConnections & {
  /**
   * Prefix of every Redis channel; a topic `c:42` travels on `parley:c:42` (classic mode) or
   * `parley:{c:42}` (sharded mode, the hash tag puts the topic's slot on the topic alone). Default `parley:`.
   */
  prefix?: string;
  /**
   * `classic`: PUBLISH / SUBSCRIBE, for a single Redis (on a cluster every message would be broadcast
   * to every shard). `sharded`: SPUBLISH / SSUBSCRIBE (Redis 7), each topic's traffic stays on the
   * shard that owns its slot. Default: `sharded` when the clients are a `Cluster`, else `classic`.
   * Every node of one deployment MUST use the same mode (the two never meet).
   */
  mode?: 'classic' | 'sharded';
  /**
   * Sharded mode on a cluster: how often to re-read the slot map, in ms. When a slot moved to
   * another primary (resharding), Redis drops the subscriptions of its channels; the bus then
   * resets (`onReset`) and subscribes them again on the new primary. Default 2000.
   */
  slotCheckMs?: number;
  /** Quit both connections in `close()`. Default true. Set false when the host owns them. */
  quitOnClose?: boolean;
  /** Called with failures that have no caller to reject (a handler that threw, a failed UNSUBSCRIBE). */
  onError?: (error: unknown) => void;
};

/** The Redis bus: the core {@link PubSub} plus what it knows about Redis. */
export interface RedisPubSub extends PubSub {
  /** `onReset` is always present on this adapter. */
  onReset(listener: (reason: string) => void): () => void;
  /** Quit the connections (unless `quitOnClose: false`) and drop every handler. */
  close(): Promise<void>;
  /** The Redis channels this node is subscribed to (one per topic with at least one local handler). */
  channels(): string[];
}

type Handler = (message: BusMessage) => void;

/** Per-channel state: the local handlers and whether Redis has confirmed the SUBSCRIBE. */
interface Channel {
  handlers: Set<Handler>;
  active: boolean;
  /** SUBSCRIBE/UNSUBSCRIBE of this channel run one after another on this chain. */
  chain: Promise<void>;
  /** Sharded on a cluster: the primary (node key) that served the channel's slot when subscribed. */
  primary?: string | undefined;
}

function pickConnections(options: RedisPubSubOptions): { publisher: RedisClient; subscriber: RedisClient; sharded: boolean } {
  const publisher = 'publisher' in options ? options.publisher : options.redis;
  const sharded = (options.mode ?? (isCluster(publisher) ? 'sharded' : 'classic')) === 'sharded';
  const given = options.subscriber;
  const subscriber =
    given !== undefined ? (typeof given === 'function' ? given() : given) : isCluster(publisher) ? publisher.duplicate(undefined, { shardedSubscribers: sharded }) : publisher.duplicate();
  if (subscriber === publisher) throw new Error('createRedisPubSub: the subscriber must be its own connection (a client in subscribe mode cannot publish)');
  return { publisher, subscriber, sharded };
}

/**
 * The core `PubSub` on Redis Pub/Sub, for many server processes, on a single Redis (classic
 * PUBLISH/SUBSCRIBE) or a Redis Cluster (sharded SPUBLISH/SSUBSCRIBE, see `mode`).
 *
 * - One Redis channel per topic (`<prefix><topic>`). A node SUBSCRIBEs a channel when its first local
 *   handler subscribes the topic and UNSUBSCRIBEs when the last one leaves, so each node receives only
 *   what its own connections need.
 * - Payloads are JSON. Redis keeps the order of one connection's PUBLISHes, so messages of one
 *   publisher on one topic arrive in order.
 * - `subscribe` resolves once Redis confirmed the SUBSCRIBE.
 * - When either connection drops, and again once it is back with its subscriptions restored, the
 *   `onReset` listeners run: messages may have been lost, transports tell their clients to resume.
 *
 * ```ts
 * import { Redis } from 'ioredis';
 * const pubsub = createRedisPubSub({ redis: new Redis('redis://127.0.0.1:6379') });
 * const chat = createChat({ store, pubsub, presence });
 * ```
 */
export function createRedisPubSub(options: RedisPubSubOptions): RedisPubSub {
  const { publisher, subscriber, sharded } = pickConnections(options);
  const prefix = options.prefix ?? 'parley:';
  if (sharded && isCluster(subscriber) && !subscriber.options.shardedSubscribers) {
    throw new Error('createRedisPubSub: a Cluster subscriber needs `shardedSubscribers: true` for sharded mode');
  }
  const channelOf = (topic: string) => (sharded ? `${prefix}{${topic}}` : prefix + topic);
  const quitOnClose = options.quitOnClose ?? true;
  const onError = options.onError ?? (() => {});
  const channels = new Map<string, Channel>();
  const resetListeners = new Set<(reason: string) => void>();
  let closed = false;

  const reset = (reason: string) => {
    if (closed) return;
    for (const listener of [...resetListeners]) {
      try {
        listener(reason);
      } catch (error) {
        onError(error);
      }
    }
  };

  const onMessage = (channel: string, payload: string) => {
    const entry = channels.get(channel);
    if (!entry || entry.handlers.size === 0) return;
    for (const handler of [...entry.handlers]) {
      try {
        // each handler gets its own copy, as with the in-memory bus
        handler(JSON.parse(payload) as BusMessage);
      } catch (error) {
        onError(error);
      }
    }
  };
  let recordPrimary: (name: string, entry: Channel) => void = () => {};
  let slotTimer: ReturnType<typeof setInterval> | undefined;
  const messageEvent = sharded ? 'smessage' : 'message';
  subscriber.on(messageEvent, onMessage);
  const sub = (names: string[]) => (sharded ? retrying(() => subscriber.ssubscribe(...names)) : subscriber.subscribe(...names));
  const unsub = (names: string[]) => (sharded ? subscriber.sunsubscribe(...names) : subscriber.unsubscribe(...names));

  /** Bring Redis in line with the local handlers of one channel (serialised per channel). */
  const sync = (name: string, entry: Channel): Promise<void> => {
    const step = entry.chain.then(async () => {
      const wanted = entry.handlers.size > 0;
      if (wanted && !entry.active) {
        await sub([name]);
        entry.active = true;
        recordPrimary(name, entry);
      } else if (!wanted && entry.active) {
        entry.active = false;
        await unsub([name]);
      }
    });
    const tail = step.catch(() => {});
    entry.chain = tail;
    void tail.then(() => {
      // forget an idle channel once nothing else is queued on it
      if (entry.handlers.size === 0 && !entry.active && entry.chain === tail && channels.get(name) === entry) channels.delete(name);
    });
    return step;
  };

  // Connection watch. Listeners hear once when a connection is lost (while Redis is away, clients
  // are told to resume rather than silently missing events) and once when every connection is back.
  const down = new Set<'publisher' | 'subscriber'>();
  const markDown = (role: 'publisher' | 'subscriber') => {
    if (closed || down.has(role)) return;
    down.add(role);
    if (down.size === 1) reset(`redis ${role} connection lost`);
  };
  const markUp = (role: 'publisher' | 'subscriber') => {
    if (!down.delete(role)) return;
    if (down.size === 0) reset(`redis ${role} reconnected`);
  };
  /** Re-subscribe every active channel, wait for Redis to confirm, then count the subscriber as back. */
  const restoreThenUp = () => {
    const names = [...channels.entries()].filter(([, e]) => e.active).map(([n]) => n);
    // sharded: one SSUBSCRIBE per channel, as channels of one call must share a slot
    const restored = sharded ? Promise.all(names.map((n) => sub([n]))) : names.length > 0 ? sub(names) : Promise.resolve(0);
    restored.then(
      () => markUp('subscriber'),
      (error: unknown) => {
        onError(error);
        // on a cluster a shard may still be failing over: stay down, the next `subscribersReady` retries
        if (!sharded) markUp('subscriber');
      },
    );
  };
  const watch = (client: RedisClient, role: 'publisher' | 'subscriber') => {
    let wasReady = client.status === 'ready';
    client.on('ready', () => {
      wasReady = true;
      if (!down.has(role)) return;
      if (role === 'publisher') return markUp(role);
      // Restore our channels and wait for Redis to confirm before telling anyone to resume: a client
      // that resumes before the subscriptions are back could miss what happens in between.
      // (ioredis resubscribes too; SUBSCRIBE to a channel twice is harmless.)
      setImmediate(restoreThenUp);
    });
    client.on('close', () => {
      if (wasReady) markDown(role);
    });
    // ioredis emits connection errors as events; without a listener Node would print them.
    client.on('error', (error: unknown) => onError(error));
  };
  watch(publisher, 'publisher');
  watch(subscriber, 'subscriber');
  if (sharded && isCluster(subscriber)) {
    // A shard's subscriber lost its node (a primary died, a failover is under way): what was
    // published on that shard meanwhile may be lost. ioredis re-subscribes on the new topology and
    // says `subscribersReady` once every shard's subscriber is back, without waiting for the
    // confirmations: subscribe again ourselves and wait for those before telling clients to resume.
    subscriber.on('-node', () => markDown('subscriber'));
    subscriber.on('subscribersReady', () => {
      if (down.has('subscriber')) restoreThenUp();
    });
    // A slot moved to another primary (resharding): Redis drops the subscriptions of its channels
    // with a SUNSUBSCRIBE that ioredis does not report, so watch the slot map ourselves and
    // subscribe those channels again on their new primary.
    const cluster = subscriber;
    const primaryOf = (name: string) => cluster.slots[keySlot(name)]?.[0];
    cluster.on('refresh', () => {
      const moved: string[] = [];
      for (const [name, entry] of channels) {
        if (!entry.active) continue;
        const now = primaryOf(name);
        if (entry.primary !== undefined && now !== undefined && now !== entry.primary) moved.push(name);
        if (now !== undefined) entry.primary = now;
      }
      if (moved.length === 0 || closed) return;
      markDown('subscriber');
      Promise.all(moved.map((n) => sub([n]))).then(
        () => markUp('subscriber'),
        (error: unknown) => onError(error), // stay down: the next refresh or subscribersReady retries
      );
    });
    recordPrimary = (name, entry) => {
      entry.primary = primaryOf(name);
    };
    // ioredis does not refresh the subscriber's slot map reliably by itself: ask for it
    slotTimer = setInterval(() => {
      if (!closed && channels.size > 0) cluster.refreshSlotsCache();
    }, options.slotCheckMs ?? 2000);
    slotTimer.unref();
  }

  return {
    async publish(topic, message) {
      if (closed) throw new Error('pubsub is closed');
      const name = channelOf(topic);
      const payload = JSON.stringify(message);
      await (sharded ? publisher.spublish(name, payload) : publisher.publish(name, payload));
    },
    async subscribe(topic, handler) {
      if (closed) throw new Error('pubsub is closed');
      const name = channelOf(topic);
      let entry = channels.get(name);
      if (!entry) channels.set(name, (entry = { handlers: new Set(), active: false, chain: Promise.resolve() }));
      const own: Channel = entry;
      // wrap so the same function can be subscribed twice and removed independently
      const wrapped: Handler = (message) => handler(message);
      own.handlers.add(wrapped);
      try {
        await sync(name, own);
      } catch (error) {
        own.handlers.delete(wrapped);
        void sync(name, own).catch(onError);
        throw error;
      }
      let done = false;
      const unsubscribe: Unsubscribe = async () => {
        if (done) return;
        done = true;
        own.handlers.delete(wrapped);
        if (closed) return;
        await sync(name, own).catch(onError);
      };
      return unsubscribe;
    },
    onReset(listener) {
      resetListeners.add(listener);
      return () => void resetListeners.delete(listener);
    },
    channels() {
      return [...channels.entries()].filter(([, e]) => e.active).map(([n]) => n);
    },
    async close() {
      if (closed) return;
      closed = true;
      if (slotTimer) clearInterval(slotTimer);
      const names = [...channels.entries()].filter(([, e]) => e.active).map(([n]) => n);
      channels.clear();
      resetListeners.clear();
      subscriber.off(messageEvent, onMessage);
      if (!quitOnClose) {
        await (sharded ? Promise.all(names.map((n) => unsub([n]))) : subscriber.unsubscribe()).catch(onError);
        return;
      }
      await Promise.all([quit(publisher), quit(subscriber)]);
    },
  };
}

/**
 * Run a sharded (S)SUBSCRIBE, retrying for a few seconds: ioredis replaces a shard's subscriber
 * connection while it learns the topology (at start, in a failover), and a command sent to the one
 * being replaced fails with "Connection is closed".
 */
async function retrying<T>(attempt: () => Promise<T>, budgetMs = 5_000): Promise<T> {
  const end = Date.now() + budgetMs;
  for (let delay = 20; ; delay = Math.min(delay * 2, 500)) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() + delay > end) throw error;
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

/** QUIT politely; a connection that is down or already ended is just disconnected. */
async function quit(client: RedisClient): Promise<void> {
  if (client.status === 'end') return;
  try {
    if (client.status === 'ready') await client.quit();
    else client.disconnect();
  } catch {
    client.disconnect();
  }
}
