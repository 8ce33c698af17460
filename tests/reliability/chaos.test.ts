/**
 * Delivery under faults. 100 clients (some users on several devices) chat in direct
 * conversations, groups of up to 80 members and a channel, with edits, deletes, reactions and
 * read/delivered receipts, while the test drops server-side sockets, restarts the WebSocket
 * server, terminates the store's Postgres backends and delays/stalls frames through a TCP proxy.
 * Afterwards every device must hold exactly what the database holds, and the devices that kept an
 * offline cache through it restart from that cache and hold exactly that again.
 *
 * Replay a run: CHAOS_SEED=<seed printed at the start> npx vitest run tests/reliability/chaos.test.ts
 * (the seed fixes the population, every client's choices and the fault schedule; timing still varies).
 * Scale: CHAOS_CLIENTS (default 100), CHAOS_OPS (operations per client, default 150), CHAOS_RUN_MS (default 60 000: the acting phase stops there even if CHAOS_OPS is not reached).
 * Everything (server, proxy, 100 clients) runs in one Node process, which is CPU-bound: on 2 shared cores
 * about 150-250 operations/s in total get through under the faults, which is what the defaults are sized for.
 */
import { createChat, type Chat } from '@parley/core';
import { createClient, isParleyError, type ClientOptions, type ParleyClient } from '@parley/client';
import { createOfflineCache, memoryCacheStorage, type OfflineCache } from '@parley/client/offline';
import type { Message } from '@parley/protocol';
import { createPostgresStore, migrate } from '@parley/storage-postgres';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../../packages/storage-postgres/test/support/pg.js';
import { differences, type DeviceUnderTest } from '../support/convergence.js';
import { DelayProxy } from '../support/delay-proxy.js';
import { dropSchema, postgresServerOrSkip, randomSchema, SERVER_URL } from '../support/postgres.js';
import { between, pick, seeded, seedFrom } from '../support/random.js';
import { ServerHost } from '../support/server.js';

const SEED = seedFrom('CHAOS_SEED');
const CLIENTS = Number(process.env.CHAOS_CLIENTS ?? 100);
const OPS = Number(process.env.CHAOS_OPS ?? 150);
const RUN_MS = Number(process.env.CHAOS_RUN_MS ?? 60_000);
const USERS = Math.max(4, Math.round(CLIENTS * 0.8));
const replay = `CHAOS_SEED=${SEED} npx vitest run tests/reliability/chaos.test.ts`;
console.log(`[chaos] seed ${SEED}: ${CLIENTS} clients, ${USERS} users, ${OPS} operations per client (replay: ${replay})`);

const available = await postgresServerOrSkip('tests/reliability/chaos.test.ts');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Device extends DeviceUnderTest {
  random: () => number;
  /** Messages this device sent that the server acknowledged, by clientId. */
  acked: Map<string, Message>;
  failedSends: number;
  /** Every fifth device keeps an offline cache through the chaos, and restarts from it at the end. */
  cache?: OfflineCache;
}

describe.skipIf(!available)(`chaos (seed ${SEED})`, () => {
  const random = seeded(SEED);
  const schema = randomSchema('parley_chaos');
  const appName = `parley-chaos-${SEED}`;
  const pool = createPool({ connectionString: SERVER_URL, max: 10, application_name: appName });
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
  const admin = createPool({ connectionString: SERVER_URL, max: 2, application_name: `${appName}-admin` });
  admin.on('error', () => {});
  let chat: Chat;
  let host: ServerHost;
  let proxy: DelayProxy;
  const devices: Device[] = [];
  const conversations = new Map<string, { kind: string; members: string[]; weight: number }>();
  const faults = { socketsDropped: 0, serverRestarts: 0, backendsTerminated: 0, stalls: 0 };
  const opErrors = new Map<string, number>();
  const ops = { send: 0, edit: 0, deleteEveryone: 0, deleteMe: 0, react: 0, markRead: 0, markDelivered: 0 };
  const started = Date.now();

  beforeAll(async () => {
    await migrate({ db, schema });
    chat = createChat({ store: createPostgresStore({ db, schema }) });
    host = new ServerHost({ chat, limits: { ratePerSecond: 100, rateBurst: 200, maxInFlight: 64 } });
    await host.start();
    proxy = new DelayProxy({ target: () => host.port, random, maxLatencyMs: 25, maxJitterMs: 15 });
    await proxy.start();

    // population: USERS users, the first ones with 3 devices until there are CLIENTS devices
    const users = Array.from({ length: USERS }, (_, i) => `u${String(i).padStart(3, '0')}`);
    for (const id of users) await chat.upsertUser({ id, displayName: `User ${id}` });
    const deviceCount = new Map(users.map((u) => [u, 1]));
    for (let i = 0, extra = CLIENTS - USERS; extra > 0; i++, extra--) deviceCount.set(users[Math.floor(i / 2) % users.length]!, deviceCount.get(users[Math.floor(i / 2) % users.length]!)! + 1);

    const shuffled = (list: string[]) => [...list].sort(() => random() - 0.5);
    const group = async (title: string, size: number, weight: number) => {
      const [owner, ...rest] = shuffled(users).slice(0, size);
      const g = await chat.as(owner!).createGroup({ title, memberIds: rest });
      await chat.as(owner!).setRole({ conversationId: g.id, userId: rest[0]!, role: 'admin' });
      conversations.set(g.id, { kind: 'group', members: [owner!, ...rest], weight });
    };
    await group('everyone', Math.min(USERS, 100), 0.5);
    await group('team', Math.min(USERS, 30), 1);
    await group('pod', Math.min(USERS, 10), 2);
    await group('trio', Math.min(USERS, 5), 2);
    const channel = await chat.as(users[0]!).createChannel({ title: 'announcements' });
    const joiners = shuffled(users.slice(1)).slice(0, Math.round(USERS * 0.75));
    for (const u of joiners) await chat.as(u).join({ conversationId: channel.id });
    conversations.set(channel.id, { kind: 'channel', members: [users[0]!, ...joiners], weight: 0.5 });
    const pairs = new Set<string>();
    for (let i = 0; i < users.length; i++) {
      pairs.add([users[i]!, users[(i + 1) % users.length]!].sort().join('|'));
      if (random() < 0.4) {
        const other = pick(random, users);
        if (other !== users[i]) pairs.add([users[i]!, other].sort().join('|'));
      }
    }
    for (const p of pairs) {
      const [a, b] = p.split('|') as [string, string];
      const d = await chat.as(a).openDirect({ userId: b });
      conversations.set(d.id, { kind: 'direct', members: [a, b], weight: 3 });
    }

    for (const userId of users) {
      for (let k = 0; k < deviceCount.get(userId)!; k++) {
        const name = `${userId}/d${k}`;
        const cache = devices.length % 5 === 0 ? createOfflineCache({ storage: memoryCacheStorage() }) : undefined;
        const client = deviceClient(userId, cache);
        const held = [...conversations].filter(([, c]) => c.members.includes(userId)).map(([id]) => id);
        devices.push({ name, userId, client, held, random: seeded(SEED ^ (devices.length * 2654435761)), acked: new Map(), failedSends: 0, ...(cache ? { cache } : {}) });
      }
    }
    await Promise.all(
      devices.map(async (d) => {
        await d.client.ready();
        for (const id of d.held) await d.client.open(id);
      }),
    );
    console.log(
      `[chaos] set up in ${Date.now() - started} ms: ${devices.length} devices, ${conversations.size} conversations ` +
        `(${[...conversations.values()].filter((c) => c.kind === 'direct').length} direct, groups of ${[...conversations.values()].filter((c) => c.kind === 'group').map((c) => c.members.length).join('/')}, a channel of ${conversations.get(channel.id)!.members.length})`,
    );
  }, 120_000);

  afterAll(async () => {
    for (const d of devices) d.client.close();
    await proxy?.stop();
    await host?.stop();
    await chat?.close();
    await dropSchema(db, schema).catch((error: unknown) => console.warn(`[chaos] could not drop schema ${schema}: ${String(error)}`));
    await db.destroy();
    await admin.end();
  });

  const deviceClient = (userId: string, cache?: OfflineCache): ParleyClient =>
    createClient({
      url: `ws://127.0.0.1:${proxy.port}/parley`,
      token: host.token(userId),
      WebSocket: WebSocket as unknown as ClientOptions['WebSocket'],
      window: null,
      reconnect: { baseMs: 100, capMs: 1500, stableAfterMs: 5000, penaltyMs: 3000 },
      maxSendAttempts: 10_000,
      messageWindow: 5000,
      requestTimeoutMs: 5000,
      pingIntervalMs: 5000,
      // receipts are driven explicitly below: automatic delivered-acks from ~100 devices on every
      // message of an 80-member group would make the receipt fan-out quadratic
      autoDeliver: false,
      random,
      ...(cache ? { cache, userId } : {}),
    });

  const noteError = (error: unknown) => {
    const code = isParleyError(error) ? error.code : 'non-parley';
    opErrors.set(code, (opErrors.get(code) ?? 0) + 1);
  };

  /** One random operation of a device. */
  const act = async (d: Device, n: number): Promise<void> => {
    const r = d.random;
    const weighted = d.held.map((id) => [id, conversations.get(id)!.weight] as const);
    let x = r() * weighted.reduce((s, [, w]) => s + w, 0);
    const conversationId = weighted.find(([, w]) => (x -= w) < 0)?.[0] ?? d.held[0]!;
    const held = d.client.messages(conversationId).getSnapshot().messages.filter((m) => m.seq !== null);
    const own = [...d.acked.values()].filter((m) => m.conversationId === conversationId);
    const roll = r();
    const c = d.client;
    if (roll < 0.6 || held.length === 0) {
      ops.send++;
      const text = `${d.name} #${n} ${pick(r, ['hi', 'ok 👍', 'שלום', 'naïve café', 'a\u200db', '%_\\', "it's"])}`;
      const handle = c.send({ conversationId, text });
      handle.message.then(
        (m) => void d.acked.set(handle.clientId, m),
        () => void d.failedSends++,
      );
      return;
    }
    const target = pick(r, held);
    if (roll < 0.68 && own.length > 0) {
      ops.edit++;
      const m = pick(r, own);
      await c.request('edit', { conversationId, seq: m.seq, text: `${d.name} edit ${n}` }).catch(noteError);
    } else if (roll < 0.72 && own.length > 0) {
      ops.deleteEveryone++;
      await c.request('delete', { conversationId, seq: pick(r, own).seq, scope: 'everyone' }).catch(noteError);
    } else if (roll < 0.73) {
      ops.deleteMe++;
      await c.request('delete', { conversationId, seq: target.seq!, scope: 'me' }).catch(noteError);
    } else if (roll < 0.86) {
      ops.react++;
      await c.request('react', { conversationId, seq: target.seq!, emoji: pick(r, ['👍', '❤️', '😂', '👨‍👩‍👧']), remove: r() < 0.3 }).catch(noteError);
    } else if (roll < 0.94) {
      ops.markRead++;
      await c.markRead(conversationId, r() < 0.7 ? undefined : target.seq!).catch(noteError);
    } else {
      ops.markDelivered++;
      await c.request('markDelivered', { conversationId, seq: held.at(-1)!.seq! }).catch(noteError);
    }
  };

  it('every device ends with exactly the database: nothing lost, duplicated or reordered; unread and receipts equal', { timeout: 175_000 }, async () => {
    const deadline = Date.now() + RUN_MS;
    const elu = performance.eventLoopUtilization();
    let stop = false;

    const faulting = (async () => {
      let lastRestart = Date.now();
      // a fixed opening so every kind of fault happens in every run, then the seeded mix
      const opening = ['drop', 'stall', 'pg', 'restart', 'drop', 'pg', 'stall'];
      for (let i = 0; !stop; i++) {
        await sleep(between(random, 250, 700));
        if (stop) break;
        const kind = opening[i] ?? (random() < 0.35 ? 'drop' : random() < 0.45 ? 'stall' : random() < 0.75 ? 'pg' : 'restart');
        try {
          if (kind === 'drop') {
            const sockets = [...host.sockets];
            const victims = Array.from({ length: between(random, 1, 8) }, () => pick(random, sockets)).filter(Boolean);
            faults.socketsDropped += host.drop(new Set(victims));
          } else if (kind === 'stall') {
            const n = between(random, 1, 10);
            proxy.stall(n, 1500);
            faults.stalls += n;
          } else if (kind === 'pg') {
            const { rows } = await admin.query<{ pid: number }>(
              'select pg_terminate_backend(pid), pid from pg_stat_activity where application_name = $1',
              [appName],
            );
            faults.backendsTerminated += rows.length;
          } else if (Date.now() - lastRestart > 6000 || faults.serverRestarts === 0) {
            lastRestart = Date.now();
            await host.restart();
            faults.serverRestarts++;
          }
        } catch (error) {
          throw new Error(`fault ${kind} failed: ${String(error)}`);
        }
      }
    })();

    // each device keeps up to 3 operations going (sends queue in its outbox, one at a time)
    const acting = Promise.all(
      devices.map(async (d) => {
        await sleep(d.random() * 500);
        const running = new Set<Promise<void>>();
        for (let n = 0; n < OPS && Date.now() < deadline; n++) {
          const op = act(d, n).finally(() => running.delete(op));
          running.add(op);
          if (running.size >= 3) await Promise.race(running);
          await sleep(between(d.random, 100, 600));
        }
        await Promise.all(running);
      }),
    );
    await acting;
    stop = true;
    await faulting;
    const runMs = Date.now() - started;
    const busy = performance.eventLoopUtilization(elu).utilization;

    // converge: every device ready with an empty outbox, then equal to the database
    let diffs: string[] = [];
    const settleBy = Date.now() + 60_000;
    for (;;) {
      diffs = [];
      for (const d of devices) {
        if (d.client.state !== 'ready' || d.client.outbox.getSnapshot().length > 0) diffs.push(`${d.name}: ${d.client.state}, outbox ${d.client.outbox.getSnapshot().length}`);
      }
      if (diffs.length === 0) {
        const all = await Promise.all(devices.map((d) => differences(chat, d)));
        diffs = all.flat();
      }
      if (diffs.length === 0 || Date.now() > settleBy) break;
      await sleep(1000);
    }
    const settled = Date.now() - started - runMs;

    // every acknowledged send is in the database exactly once, and nothing else is
    const acked = new Map<string, Message>();
    for (const d of devices) for (const [clientId, m] of d.acked) acked.set(`${m.senderId}|${clientId}`, m);
    // the raw table too: message rows (type 1) and their (conversation, sender, clientId) keys
    const { rows } = await sql<{ n: number; keys: number }>`
      select count(*)::int as n, count(distinct (conversation_id, actor_id, client_id))::int as keys
      from ${sql.table(`${schema}.events`)} where type = 1`.execute(db);
    const fromEngine = new Map<string, { seq: number; conversationId: string; n: number }>();
    // read the store itself (not a member's view: delete-for-me would hide rows from it)
    for (const id of conversations.keys()) {
      for (let after = 0; ; ) {
        const page = await chat.store.events({ conversationId: id, after, limit: 500, timelineOnly: true });
        for (const e of page) {
          if (e.type !== 'message') continue;
          const key = `${e.message.senderId}|${e.message.clientId}`;
          const prev = fromEngine.get(key);
          fromEngine.set(key, { seq: e.message.seq, conversationId: id, n: (prev?.n ?? 0) + 1 });
        }
        const last = page.at(-1)?.seq;
        if (last === undefined || page.length < 500) break;
        after = last;
      }
    }
    const lost = [...acked].filter(([key, m]) => fromEngine.get(key)?.seq !== m.seq || fromEngine.get(key)?.conversationId !== m.conversationId);
    const duplicated = [...fromEngine].filter(([, v]) => v.n !== 1);
    const unexpected = [...fromEngine.keys()].filter((key) => !acked.has(key));
    const failedSends = devices.reduce((s, d) => s + d.failedSends, 0);

    const report = {
      seed: SEED,
      clients: devices.length,
      users: USERS,
      conversations: conversations.size,
      operations: ops,
      acknowledgedSends: acked.size,
      perClientSends: Math.round(acked.size / devices.length),
      errorsByCode: Object.fromEntries(opErrors),
      faults,
      proxy: { ...proxy.stats, meanDelayMs: Math.round(proxy.stats.delayMs / Math.max(1, proxy.stats.chunks)) },
      runMs,
      eventLoopBusy: Math.round(busy * 100) / 100,
      settleMs: settled,
      messageRows: rows[0]!.n,
    };
    console.log(`[chaos] ${JSON.stringify(report)}`);
    const context = `seed ${SEED} (replay: ${replay})`;
    expect(diffs.slice(0, 20), `devices differ from the database; ${context}`).toEqual([]);
    expect(failedSends, `sends that failed for good; ${context}`).toBe(0);
    expect(lost.slice(0, 5), `acknowledged sends missing or moved; ${context}`).toEqual([]);
    expect(duplicated.slice(0, 5), `duplicated messages; ${context}`).toEqual([]);
    expect(unexpected.slice(0, 5), `messages nobody was acknowledged for; ${context}`).toEqual([]);
    expect(fromEngine.size, context).toBe(acked.size);
    expect(rows[0], `message rows in ${schema}.events; ${context}`).toEqual({ n: acked.size, keys: acked.size });
    // the engine never failed in a way that is a bug or a wrong denial
    expect(opErrors.get('INTERNAL') ?? 0, context).toBe(0);
    expect(opErrors.get('FORBIDDEN') ?? 0, context).toBe(0);
    // the faults really happened
    expect(faults.socketsDropped, context).toBeGreaterThan(0);
    expect(faults.serverRestarts, context).toBeGreaterThan(0);
    expect(faults.backendsTerminated, context).toBeGreaterThan(0);
    expect(proxy.stats.stalls, context).toBeGreaterThan(0);

    // the devices with a cache restart from what it saved through the chaos, and equal the database again
    const cached = devices.filter((d) => d.cache);
    expect(cached.length).toBeGreaterThan(0);
    for (const d of cached) {
      await d.client.flushCache();
      d.client.close();
      d.client = deviceClient(d.userId, d.cache);
      for (const id of d.held) void d.client.open(id);
    }
    let restarted: string[] = [];
    for (const restartBy = Date.now() + 30_000; ; await sleep(500)) {
      restarted = (await Promise.all(cached.map((d) => (d.client.state === 'ready' ? differences(chat, d) : [`${d.name}: ${d.client.state}`])))).flat();
      if (restarted.length === 0 || Date.now() > restartBy) break;
    }
    expect(restarted.slice(0, 20), `devices restarted from their offline caches differ from the database; ${context}`).toEqual([]);
  });
});
